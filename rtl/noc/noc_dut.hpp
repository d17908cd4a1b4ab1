// rtl/noc/noc_dut.hpp (private to rtl/noc/): the one adapter from a Verilated network top to the
// bench's Dut (noc_bench.hpp).
//
// nrk_router and nrk_mesh have the same shape: a routing-table write port, per-port valid, flit
// and credit vectors in and out, per-port error pulses. Only the names differ (the mesh's ports
// are its nodes' local inject / eject ports, and its table port selects a node), so a Ports class
// names them (RouterPorts, MeshPorts) and VerilatedNocDut<V, Ports> is the adapter of any
// Verilated model V of either top.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "neurark/arch/noc.hpp"
#include "noc_bench.hpp"

namespace neurark::rtl::noc {

// A DUT with routing tables: write_table(node, flow, mask) writes `mask` (arch::PortBit bits) for
// `flow` into the table of router `node` (0 for the lone router).
class TableDut : public Dut {
 public:
  virtual void write_table(int node, int64_t flow, int mask) = 0;
};

// The ports of nrk_router: its 5 ports (index = bit of arch::PortBit).
struct RouterPorts {
  static constexpr const char* kInstance = "router";
  static int ports(const NocVariant&) { return arch::kPorts; }
  template <class V> static auto& in_valid(V& m) { return m.in_valid_i; }
  template <class V> static auto& in_flit(V& m) { return m.in_flit_i; }
  template <class V> static auto& in_credit(V& m) { return m.in_credit_o; }
  template <class V> static auto& out_valid(V& m) { return m.out_valid_o; }
  template <class V> static auto& out_flit(V& m) { return m.out_flit_o; }
  template <class V> static auto& out_credit(V& m) { return m.out_credit_i; }
  template <class V> static void select_node(V&, int node) {
    if (node != 0) throw std::invalid_argument("nrk_router: table write to node " + std::to_string(node));
  }
};

// The ports of nrk_mesh: the local inject / eject port of every node (node n = port n).
struct MeshPorts {
  static constexpr const char* kInstance = "mesh";
  static int ports(const NocVariant& v) { return v.width * v.height; }
  template <class V> static auto& in_valid(V& m) { return m.inj_valid_i; }
  template <class V> static auto& in_flit(V& m) { return m.inj_flit_i; }
  template <class V> static auto& in_credit(V& m) { return m.inj_credit_o; }
  template <class V> static auto& out_valid(V& m) { return m.ej_valid_o; }
  template <class V> static auto& out_flit(V& m) { return m.ej_flit_o; }
  template <class V> static auto& out_credit(V& m) { return m.ej_credit_i; }
  template <class V> static void select_node(V& m, int node) {
    m.cfg_node_i = static_cast<std::remove_reference_t<decltype(m.cfg_node_i)>>(node);
  }
};

// The Verilated model V (nrk_router or nrk_mesh of one variant) as the bench's DUT. Both tops
// share the table port (cfg_we_i, cfg_flow_i, cfg_mask_i) and the error pulses (err_*_o).
template <class V, class Ports>
class VerilatedNocDut final : public TableDut {
 public:
  explicit VerilatedNocDut(const NocVariant& v) : v_(v), ctx_(std::make_unique<VerilatedContext>()) {
    top_ = std::make_unique<V>(ctx_.get(), Ports::kInstance);
    reset();
  }
  ~VerilatedNocDut() override { top_->final(); }
  VerilatedNocDut(const VerilatedNocDut&) = delete;
  VerilatedNocDut& operator=(const VerilatedNocDut&) = delete;

  int ports() const override { return Ports::ports(v_); }
  int depth() const override { return v_.buffer_depth; }
  void reset() override {
    top_->cfg_we_i = 0;
    Ports::in_valid(*top_) = 0;
    Ports::out_credit(*top_) = 0;
    top_->clk_i = 0;
    top_->rst_ni = 1;
    top_->eval();
    top_->rst_ni = 0;  // asynchronous: takes effect at once
    top_->eval();
    for (int i = 0; i < 2; ++i) {
      top_->clk_i = 1;
      top_->eval();
      top_->clk_i = 0;
      top_->eval();
    }
    top_->rst_ni = 1;
    top_->eval();
    idle_cycle(*this);
  }
  void write_table(int node, int64_t flow, int mask) override {
    top_->cfg_we_i = 1;
    Ports::select_node(*top_, node);
    top_->cfg_flow_i = static_cast<std::remove_reference_t<decltype(top_->cfg_flow_i)>>(flow);
    top_->cfg_mask_i = static_cast<CData>(mask);
    idle_cycle(*this);
    top_->cfg_we_i = 0;
  }
  // A flit is written only with its valid: the tops ignore the flit input while valid is low.
  void drive_in(int p, bool valid, uint64_t flit) override {
    put_bits(Ports::in_valid(*top_), p, 1, valid ? 1 : 0);
    if (valid) put_bits(Ports::in_flit(*top_), p * v_.flit_w, v_.flit_w, flit);
  }
  void drive_out_credit(int p, bool credit) override { put_bits(Ports::out_credit(*top_), p, 1, credit ? 1 : 0); }
  void eval_low() override {
    top_->clk_i = 0;
    top_->eval();
  }
  void posedge() override {
    top_->clk_i = 1;
    top_->eval();
  }
  bool in_credit(int p) const override { return get_bits(Ports::in_credit(*top_), p, 1) != 0; }
  bool out_valid(int p) const override { return get_bits(Ports::out_valid(*top_), p, 1) != 0; }
  uint64_t out_flit(int p) const override { return get_bits(Ports::out_flit(*top_), p * v_.flit_w, v_.flit_w); }
  int err_overflow() const override { return pulses(top_->err_overflow_o); }
  int err_credit() const override { return pulses(top_->err_credit_o); }
  int err_unrouted() const override { return pulses(top_->err_unrouted_o); }

 private:
  template <class T>
  static int pulses(T bits) {
    return __builtin_popcountll(static_cast<unsigned long long>(bits));
  }
  NocVariant v_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
};

}  // namespace neurark::rtl::noc
