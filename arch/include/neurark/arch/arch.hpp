// neurark/arch/arch.hpp: the architecture contract, arch/'s main header.
//
// arch/ owns what every other part of neurark must agree on and depends on nothing of ours:
// the fixed-point numerics (numerics.hpp: the ONE definition of every rounding, shift,
// saturation, LUT activation, requantization and MLGRU update, specified in docs/numerics.md and
// re-implemented by the RTL), the chip description (chip.hpp: the YAML schema of a neurocore
// mesh, validated strictly, docs/chip-format.md) and the one error type (error.hpp). The chip
// image, event/flit and energy-table formats will live here too.
#pragma once

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/numerics.hpp"
