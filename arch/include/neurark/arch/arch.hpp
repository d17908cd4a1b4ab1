// SPDX-License-Identifier: Apache-2.0
// neurark/arch/arch.hpp: the architecture contract, arch/'s main header.
//
// arch/ owns what every other part of neurark must agree on and depends on nothing of ours:
// the fixed-point numerics (numerics.hpp: the ONE definition of every rounding, shift,
// saturation, LUT activation, requantization and MLGRU update, specified in docs/numerics.md and
// re-implemented by the RTL), the chip description (chip.hpp: the YAML schema of a neurocore
// mesh, validated strictly, docs/chip-format.md), the layout of ternary weight memories and what
// an input event does to the accumulators (weight_memory.hpp), the chip image container
// (image.hpp, docs/image-format.md), strict JSON helpers (json_util.hpp) and the one error type
// (error.hpp), the energy table (energy.hpp) and the event packet and routing-table port masks of
// the network-on-chip (noc.hpp).
#pragma once

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/arch/weight_memory.hpp"
