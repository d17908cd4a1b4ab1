// SPDX-License-Identifier: Apache-2.0
// rtl/src/model_registry.hpp (private to rtl/): the Verilated models compiled into neurark.
// The table is written by rtl/CMakeLists.txt (compiled_models.cpp in the build folder) from every
// STATIC nrk_model() of rtl/cmake/NrkModel.cmake.
#pragma once

#include "model_abi.h"

namespace neurark::rtl::detail {

struct CompiledModel {
  const char* block;   // rtl/blocks.json name
  const char* params;  // params_text() of its -G overrides
  nrk_model_entry_fn entry;
};

extern const CompiledModel kCompiledModels[];
extern const int kNumCompiledModels;

}  // namespace neurark::rtl::detail
