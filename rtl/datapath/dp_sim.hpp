// SPDX-License-Identifier: Apache-2.0
// rtl/datapath/dp_sim.hpp: what every datapath harness shares: a clocked wrapper around a
// Verilated model (context, reset, clock, optional FST waveform), wide-port helpers, the
// mismatch bookkeeping of a BlockResult and a seeded random source.
//
// Clock convention: between ticks the clock is low. A harness sets the inputs of a cycle,
// calls settle() (combinational outputs such as ready become valid), decides which handshakes
// complete (valid && ready seen now), then tick() applies the rising edge. Registered outputs
// read after tick() are the new register values.
#pragma once

#include <verilated.h>
#if NRK_DP_FST
#include <verilated_fst_c.h>
#endif

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "neurark/arch/numerics.hpp"
#include "neurark/rtl/model.hpp"
#include "neurark/rtl/verify.hpp"

namespace neurark::rtl::datapath {

// A Verilated model with clk_i / rst_ni, driven one cycle at a time.
template <class Model>
class Sim {
 public:
  // fst_path: write a waveform there ("" for none). Throws std::invalid_argument if a path is
  // given but the models were built without FST support (-DNEURARK_RTL_FST=ON).
  explicit Sim(const std::string& fst_path) : ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->randReset(0);  // uninitialized state is zero: runs are reproducible
#if NRK_DP_FST
    if (!fst_path.empty()) ctx_->traceEverOn(true);
#endif
    model_ = std::make_unique<Model>(ctx_.get(), "dut");
#if NRK_DP_FST
    if (!fst_path.empty()) {
      fst_ = std::make_unique<VerilatedFstC>();
      model_->trace(fst_.get(), 99);
      fst_->open(fst_path.c_str());
    }
#else
    if (!fst_path.empty())
      throw std::invalid_argument("FST waveform '" + fst_path +
                                  "' requested, but the datapath models were built without FST "
                                  "tracing (configure with -DNEURARK_RTL_FST=ON)");
#endif
    model_->clk_i = 0;
    model_->rst_ni = 1;
    model_->eval();
  }
  Sim(const Sim&) = delete;
  Sim& operator=(const Sim&) = delete;
  ~Sim() {
    model_->final();
#if NRK_DP_FST
    if (fst_) fst_->close();
#endif
  }

  Model& m() { return *model_; }
  int64_t cycles() const { return cycles_; }

  // Asynchronous reset for two cycles, then released with the clock low.
  void reset() {
    model_->rst_ni = 0;
    model_->eval();
    tick();
    tick();
    model_->rst_ni = 1;
    settle();
  }
  // Evaluate combinational logic for the inputs set in this (low) phase.
  void settle() {
    model_->eval();
    dump();
  }
  // One rising and falling edge.
  void tick() {
    model_->eval();
    dump();
    model_->clk_i = 1;
    model_->eval();
    dump();
    model_->clk_i = 0;
    model_->eval();
    ++cycles_;
  }

 private:
  void dump() {
#if NRK_DP_FST
    if (fst_) fst_->dump(static_cast<uint64_t>(time_++));
#endif
  }
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Model> model_;
#if NRK_DP_FST
  std::unique_ptr<VerilatedFstC> fst_;
#endif
  int64_t cycles_ = 0;
  int64_t time_ = 0;
};

// The same clocked wrapper around a model opened by block and parameters (neurark/rtl/model.hpp:
// compiled in, or built on demand at a chip's parameters); ports by name (port()).
class ModelSim {
 public:
  ModelSim(const std::string& block, const RtlParams& params, const std::string& fst_path)
      : model_(VerilatedModel::open(block, params, "dut", fst_path)),
        clk_(model_->port("clk_i")),
        rst_n_(model_->port("rst_ni")) {
    clk_ = 0;
    rst_n_ = 1;
    model_->eval();
  }
  ModelSim(const ModelSim&) = delete;
  ModelSim& operator=(const ModelSim&) = delete;

  Port port(const std::string& name) const { return model_->port(name); }
  int64_t cycles() const { return cycles_; }

  // As Sim: the same evaluations and waveform samples, cycle for cycle.
  void reset() {
    rst_n_ = 0;
    model_->eval();
    tick();
    tick();
    rst_n_ = 1;
    settle();
  }
  void settle() {
    model_->eval();
    model_->dump(static_cast<uint64_t>(time_++));
  }
  void tick() {
    model_->eval();
    model_->dump(static_cast<uint64_t>(time_++));
    clk_ = 1;
    model_->eval();
    model_->dump(static_cast<uint64_t>(time_++));
    clk_ = 0;
    model_->eval();
    ++cycles_;
  }

 private:
  std::unique_ptr<VerilatedModel> model_;
  Port clk_, rst_n_;
  int64_t cycles_ = 0;
  int64_t time_ = 0;
};

// The FST path of one harness run: `base` with ".<block>.<tag>" before its extension.
inline std::string fst_path_for(const std::string& base, const std::string& block, const std::string& tag) {
  if (base.empty()) return base;
  const auto slash = base.find_last_of('/');
  const auto dot = base.find_last_of('.');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  const std::string stem = has_ext ? base.substr(0, dot) : base;
  const std::string ext = has_ext ? base.substr(dot) : std::string(".fst");
  return stem + "." + block + "." + tag + ext;
}

// Sets a Verilated input port (an 8/16/32/64-bit unsigned reference) to `v`'s low bits.
template <class Port, class V>
void set_port(Port& port, V v) {
  port = static_cast<Port>(v);
}

// Wide (> 64-bit) port values: Verilator stores them as 32-bit words, least significant first.
template <class Wide>
arch::u128 wide_to_u128(const Wide& w, int bits) {
  arch::u128 v = 0;
  const int words = (bits + 31) / 32;
  for (int i = words - 1; i >= 0; --i) v = (v << 32) | w[static_cast<std::size_t>(i)];
  return v;
}

inline std::string u128_str(arch::u128 v) {
  if (v == 0) return "0";
  std::string s;
  while (v != 0) {
    s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return s;
}

// Counts vectors and mismatches into a BlockResult; keeps the first mismatch's description.
class Checker {
 public:
  Checker(std::string block, std::string source) {
    result_.block = std::move(block);
    result_.source = std::move(source);
  }
  // One compared transaction. `describe` is called only for the first mismatch.
  void check(bool ok, const std::function<std::string()>& describe) {
    ++result_.vectors;
    if (!ok && result_.mismatches++ == 0) result_.first_mismatch = describe();
  }
  // A failure not tied to one vector (a timeout, a missing or extra output).
  void fail(const std::string& what) {
    if (result_.mismatches++ == 0) result_.first_mismatch = what;
  }
  BlockResult finish(int64_t cycles) {
    result_.cycles = cycles;
    return result_;
  }

 private:
  BlockResult result_;
};

// Deterministic random source of a harness run: std::mt19937_64 seeded from VerifyOptions::seed
// and a per-block salt (so blocks do not share streams).
class Rng {
 public:
  Rng(uint64_t seed, uint64_t salt) : gen_(seed ^ (salt * 0x9E3779B97F4A7C15ull)) {}
  uint64_t bits() { return gen_(); }
  // Uniform in [lo, hi] (inclusive).
  int64_t range(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(gen_);
  }
  uint64_t urange(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(gen_);
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0.0, 1.0)(gen_) < p; }
  int32_t i32() { return static_cast<int32_t>(static_cast<uint32_t>(gen_())); }
  // A signed value of a random bit length in [0, max_bits] (magnitudes of every size).
  int64_t any_size(int max_bits) {
    const int b = static_cast<int>(range(0, max_bits));
    if (b == 0) return 0;
    const uint64_t mag = b >= 64 ? gen_() : (gen_() & ((uint64_t{1} << b) - 1)) | (uint64_t{1} << (b - 1));
    return chance(0.5) ? static_cast<int64_t>(mag) : static_cast<int64_t>(uint64_t{0} - mag);
  }

 private:
  std::mt19937_64 gen_;
};

// Handshake throttling: how often a harness holds valid low or ready low (exercises stalls).
struct Throttle {
  double idle_in = 0.1;     // chance that no input is offered in a cycle
  double stall_out = 0.25;  // chance that the output is not taken in a cycle
};

template <class T>
std::string hex(T v) {
  std::ostringstream s;
  s << "0x" << std::hex << static_cast<uint64_t>(v);
  return s.str();
}

}  // namespace neurark::rtl::datapath
