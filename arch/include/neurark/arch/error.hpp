// SPDX-License-Identifier: Apache-2.0
// neurark/arch/error.hpp: the one error type of neurark.
//
// Every error a user can cause (a malformed checkpoint, chip file, image or trace; a model that
// does not fit) is thrown as neurark::Error with a message that names the file, the field or
// tensor, the value found and what was expected, e.g.
//   "model.safetensors: tensor 'lm_head.weight': data_offsets [0, 96] hold 96 bytes, expected
//    128 (shape [4, 8] x 4 bytes for F32)"
// The command line prints the message and exits non-zero; nothing half-written is left behind.
#pragma once

#include <stdexcept>
#include <string>

namespace neurark {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace neurark
