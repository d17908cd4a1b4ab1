// SPDX-License-Identifier: Apache-2.0
// neurark/compiler/inspect.hpp: readable summaries of a chip image (`neurark inspect`).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "neurark/arch/image.hpp"

namespace neurark::compiler {

// Summary of a validated image: model and chip, cores used, synapse SRAM and neuron memory per
// core, tiles per BitLinear, flows by kind with their links, estimated events and flit-hops per
// token (upper bounds: every input channel non-zero), phases per token. Throws neurark::Error
// as arch::Program::from_image does for a program it cannot read.
nlohmann::json inspect_summary(const arch::Image& image);
// The same as text: a header, a mesh map of synapse SRAM use, a BitLinear table and the flows.
std::string inspect_text(const arch::Image& image);

}  // namespace neurark::compiler
