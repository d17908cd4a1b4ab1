// SPDX-License-Identifier: Apache-2.0
// rtl/noc/noc_dut.hpp (private to rtl/noc/): the one adapter from a Verilated network top to the
// bench's Dut (noc_bench.hpp).
//
// nrk_router and nrk_mesh have the same shape: a routing-table write port, per-port valid, flit
// and credit vectors in and out, per-port error pulses. Only the names differ (the mesh's ports
// are its nodes' local inject / eject ports, and its table port selects a node). ModelNocDut
// drives either, at any parameters (the variant's: compiled in, or built on demand through
// neurark/rtl/model.hpp), through its ports by name.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "neurark/arch/noc.hpp"
#include "neurark/rtl/model.hpp"
#include "noc_bench.hpp"

namespace neurark::rtl::noc {

// A DUT with routing tables: write_table(node, flow, mask) writes `mask` (arch::PortBit bits) for
// `flow` into the table of router `node` (0 for the lone router).
class TableDut : public Dut {
 public:
  virtual void write_table(int node, int64_t flow, int mask) = 0;
};

// The Verilated router (variant 1 x 1: its 5 ports, index = bit of arch::PortBit) or mesh (the
// local inject / eject port of every node: node n = port n) of variant `v`.
class ModelNocDut final : public TableDut {
 public:
  explicit ModelNocDut(const NocVariant& v)
      : v_(v),
        mesh_(v.block() == "mesh"),
        model_(VerilatedModel::open(v.block(), v.verilog(), mesh_ ? "mesh" : "router")),
        clk_(model_->port("clk_i")),
        rst_n_(model_->port("rst_ni")),
        cfg_we_(model_->port("cfg_we_i")),
        cfg_flow_(model_->port("cfg_flow_i")),
        cfg_mask_(model_->port("cfg_mask_i")),
        in_valid_(model_->port(mesh_ ? "inj_valid_i" : "in_valid_i")),
        in_flit_(model_->port(mesh_ ? "inj_flit_i" : "in_flit_i")),
        in_credit_(model_->port(mesh_ ? "inj_credit_o" : "in_credit_o")),
        out_valid_(model_->port(mesh_ ? "ej_valid_o" : "out_valid_o")),
        out_flit_(model_->port(mesh_ ? "ej_flit_o" : "out_flit_o")),
        out_credit_(model_->port(mesh_ ? "ej_credit_i" : "out_credit_i")),
        err_overflow_(model_->port("err_overflow_o")),
        err_credit_(model_->port("err_credit_o")),
        err_unrouted_(model_->port("err_unrouted_o")) {
    if (mesh_) cfg_node_ = model_->port("cfg_node_i");
    reset();
  }

  int ports() const override { return mesh_ ? v_.width * v_.height : arch::kPorts; }
  int depth() const override { return v_.buffer_depth; }
  void reset() override {
    cfg_we_ = 0;
    in_valid_ = 0;
    out_credit_ = 0;
    clk_ = 0;
    rst_n_ = 1;
    model_->eval();
    rst_n_ = 0;  // asynchronous: takes effect at once
    model_->eval();
    for (int i = 0; i < 2; ++i) {
      clk_ = 1;
      model_->eval();
      clk_ = 0;
      model_->eval();
    }
    rst_n_ = 1;
    model_->eval();
    idle_cycle(*this);
  }
  void write_table(int node, int64_t flow, int mask) override {
    if (!mesh_ && node != 0) throw std::invalid_argument("nrk_router: table write to node " + std::to_string(node));
    cfg_we_ = 1;
    if (mesh_) cfg_node_ = static_cast<uint64_t>(node);
    cfg_flow_ = static_cast<uint64_t>(flow);
    cfg_mask_ = static_cast<uint64_t>(mask);
    idle_cycle(*this);
    cfg_we_ = 0;
  }
  // A flit is written only with its valid: the tops ignore the flit input while valid is low.
  void drive_in(int p, bool valid, uint64_t flit) override {
    in_valid_.set_bits(p, 1, valid ? 1 : 0);
    if (!valid) return;
    const int w = v_.flit_w;
    in_flit_.set_bits(p * w, std::min(w, 64), flit);
    for (int b = 64; b < w; b += 64) in_flit_.set_bits(p * w + b, std::min(64, w - b), 0);
  }
  void drive_out_credit(int p, bool credit) override { out_credit_.set_bits(p, 1, credit ? 1 : 0); }
  void eval_low() override {
    clk_ = 0;
    model_->eval();
  }
  void posedge() override {
    clk_ = 1;
    model_->eval();
  }
  bool in_credit(int p) const override { return in_credit_.get_bits(p, 1) != 0; }
  bool out_valid(int p) const override { return out_valid_.get_bits(p, 1) != 0; }
  uint64_t out_flit(int p) const override { return out_flit_.get_bits(p * v_.flit_w, std::min(v_.flit_w, 64)); }
  bool out_flit_clean(int p) const override {
    for (int b = 64; b < v_.flit_w; b += 64)
      if (out_flit_.get_bits(p * v_.flit_w + b, std::min(64, v_.flit_w - b)) != 0) return false;
    return true;
  }
  int err_overflow() const override { return err_overflow_.popcount(); }
  int err_credit() const override { return err_credit_.popcount(); }
  int err_unrouted() const override { return err_unrouted_.popcount(); }

 private:
  NocVariant v_;
  bool mesh_;
  std::unique_ptr<VerilatedModel> model_;
  Port clk_, rst_n_, cfg_we_, cfg_flow_, cfg_mask_, cfg_node_;
  Port in_valid_, in_flit_, in_credit_, out_valid_, out_flit_, out_credit_;
  Port err_overflow_, err_credit_, err_unrouted_;
};

}  // namespace neurark::rtl::noc
