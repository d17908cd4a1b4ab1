// SPDX-License-Identifier: Apache-2.0
// neurark/rtl/model.hpp: one instance of a Verilated model, driven through its ports by name.
//
// VerilatedModel::open(block, params) gives the model of an rtl/ block at any parameters: the one
// compiled into neurark if it has it, else the one built on demand and cached
// (neurark/rtl/build.hpp), loaded once per process with dlopen. Both sit behind the same C
// interface (rtl/src/model_abi.h), so NeurocoreSim, the harnesses and the tests run the same code
// whichever it is.
//
// Ports: port("clk_i") is a Port, a view of the model's storage for that port: assign an integer
// to drive an input (bits above the port's width are dropped), convert it to read. Wider than 64
// bits: set_bytes / get_bits / set_bits. Evaluate with eval() as with a Verilated class.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "neurark/rtl/build.hpp"

struct nrk_model_api;

namespace neurark::rtl {

class Port {
 public:
  Port() = default;
  Port(void* storage, int bits, int bytes) : p_(static_cast<uint8_t*>(storage)), bits_(bits), bytes_(bytes) {}

  int bits() const { return bits_; }
  bool valid() const { return p_ != nullptr; }

  // The low 64 bits (wider ports: get_bits for the rest).
  uint64_t get() const {
    switch (bytes_) {
      case 1: return *p_;
      case 2: return load<uint16_t>();
      case 4: return load<uint32_t>();
      default: return load<uint64_t>();  // 8, or the first two words of a wide value
    }
  }
  // Drives the port with v's low bits() bits (higher bits of a wide port: zero).
  void set(uint64_t v) {
    if (bits_ < 64) v &= (uint64_t{1} << bits_) - 1;
    switch (bytes_) {
      case 1: *p_ = static_cast<uint8_t>(v); break;
      case 2: store(static_cast<uint16_t>(v)); break;
      case 4: store(static_cast<uint32_t>(v)); break;
      case 8: store(v); break;
      default: set_bytes(reinterpret_cast<const uint8_t*>(&v), 8);
    }
  }
  Port& operator=(uint64_t v) {
    set(v);
    return *this;
  }
  operator uint64_t() const { return get(); }  // NOLINT: reads like a Verilated port

  // Little-endian bytes, least significant first; the rest of the port zeroed.
  void set_bytes(const uint8_t* b, std::size_t n);
  // Bits [lsb, lsb + width) (width <= 64) of the port's value.
  uint64_t get_bits(int lsb, int width) const;
  void set_bits(int lsb, int width, uint64_t value);
  // Whether every bit at or above `lsb` is zero.
  bool zero_from(int lsb) const;
  int popcount() const;  // bits set

 private:
  template <class T>
  T load() const {
    T v;
    __builtin_memcpy(&v, p_, sizeof v);
    return v;
  }
  template <class T>
  void store(T v) {
    __builtin_memcpy(p_, &v, sizeof v);
  }
  uint8_t* p_ = nullptr;
  int bits_ = 0;
  int bytes_ = 0;
};

class VerilatedModel {
 public:
  // An instance of `block` (rtl/blocks.json) at `params`, named `instance` (Verilator's
  // hierarchy name); fst_path: write a waveform there ("" none; only models compiled in with
  // -DNEURARK_RTL_FST=ON have the support). Builds the model if needed (BuildOptions: progress).
  // Throws neurark::Error if it cannot be built or loaded.
  static std::unique_ptr<VerilatedModel> open(const std::string& block, const RtlParams& params,
                                              const std::string& instance, const std::string& fst_path = "",
                                              const BuildOptions& options = {});
  ~VerilatedModel();
  VerilatedModel(const VerilatedModel&) = delete;
  VerilatedModel& operator=(const VerilatedModel&) = delete;

  // The port named `name`. Throws neurark::Error naming the model and its ports if there is none.
  Port port(const std::string& name) const;
  bool has_port(const std::string& name) const;
  void eval();
  void dump(uint64_t time);   // a waveform sample (nothing without a waveform)
  const ModelBuild& build() const { return build_; }
  std::string describe() const;  // "nrk_neurocore (NumLanes=16, ...)"

 private:
  VerilatedModel(const nrk_model_api* api, void* instance, ModelBuild build);
  const nrk_model_api* api_;
  void* instance_;
  ModelBuild build_;
};

}  // namespace neurark::rtl
