// SPDX-License-Identifier: Apache-2.0
// The SystemC chip model: bit-exact with the integer reference (checked on every token), and the
// timing and energy properties that must hold by construction, each asserted with numbers.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <algorithm>
#include <functional>
#include <map>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/energy.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/sim/backend.hpp"
#include "neurark/sim/systemc.hpp"
#include "test_paths.hpp"

using namespace neurark;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

const models::HGRNBitWeights& weights() {
  static const models::HGRNBitWeights w = models::HGRNBitWeights::load(test::default_model_dir());
  return w;
}

// Compiles the bundled model for the default chip with `edit` applied to the chip text.
std::string image_for(const std::string& tag, const std::function<void(std::string&)>& edit = {}) {
  const std::string chip_path = test::source_dir() + "/arch/chips/default-4x4.yaml";
  std::string text = test::slurp(chip_path);
  if (edit) edit(text);
  const fs::path dir = fs::temp_directory_path() / "neurark-test-systemc";
  fs::create_directories(dir);
  const std::string out = (dir / (tag + ".nimg")).string();
  const auto ck = std::make_shared<const models::Checkpoint>(models::Checkpoint::open(test::default_model_dir()));
  compiler::emit(compiler::compile_graph(ck, arch::ChipDescription::from_yaml_text(text, chip_path), text, {}), out);
  return out;
}

void replace(std::string& s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  s.replace(at, from.size(), to);
}

std::vector<int32_t> heldout_tokens(std::size_t n) {
  const std::string text = test::slurp(test::heldout_path()).substr(1000, n);
  return std::vector<int32_t>(text.begin(), text.end());
}

// Runs `tokens` through the SystemC model of `image`, checked against int; returns cycles.
int64_t run(const std::string& image, const std::vector<int32_t>& tokens, sim::Counters* counters = nullptr,
            double* clock_hz = nullptr) {
  auto sc = sim::make_systemc_backend(arch::Image::open(image));
  const sim::SystemCBackend* timing = sc.get();
  auto checked = sim::cross_checked(std::move(sc), sim::make_int_backend(weights()));
  std::vector<int32_t> logits;
  for (int32_t t : tokens) checked->step_q16(t, logits, nullptr);
  if (counters != nullptr) *counters = checked->counters();
  if (clock_hz != nullptr) *clock_hz = timing->timing().clock_hz;
  return timing->timing().cycles;
}

}  // namespace

TEST_CASE("systemc runs the bundled model bit-exactly, checked against int on every token", "[systemc]") {
  const std::string image = image_for("base");
  auto sc = sim::make_systemc_backend(arch::Image::open(image));
  const sim::SystemCBackend* t = sc.get();
  auto ref = sim::make_int_backend(weights());
  std::vector<int32_t> a, b;
  const auto tokens = heldout_tokens(200);
  for (int32_t tok : tokens) {
    sc->step_q16(tok, a, nullptr);
    ref->step_q16(tok, b, nullptr);
    REQUIRE(a == b);
  }
  const sim::Timing& tm = t->timing();
  REQUIRE(tm.token_cycles.size() == tokens.size());
  int64_t sum = 0;
  for (int64_t c : tm.token_cycles) {
    CHECK(c > 1000);
    sum += c;
  }
  CHECK(sum == tm.cycles);
  // A core is never busier than the run lasted; phase kinds add up to the whole.
  for (int64_t busy : tm.core_busy_cycles) CHECK(busy <= tm.cycles);
  int64_t kinds = 0;
  for (const auto& [k, c] : tm.phase_kind_cycles) kinds += c;
  CHECK(kinds == tm.cycles);
  CHECK(tm.phase_kind_cycles.at(arch::PhaseKind::kEvents) > tm.cycles / 2);  // accumulation dominates this chip
  // Every phase of the schedule ran once per token; its cycles split by bound unit add up to it,
  // and all phases to the run. The lane arrays bind the events phases on this chip.
  REQUIRE(tm.phase_totals.size() == 135);  // the bundled model's schedule
  int64_t phases = 0, lanes = 0;
  for (const sim::PhaseTotals& p : tm.phase_totals) {
    CHECK(p.runs == static_cast<int64_t>(tokens.size()));
    int64_t by_unit = 0;
    for (int64_t c : p.bound_cycles) by_unit += c;
    CHECK(by_unit == p.cycles);
    phases += p.cycles;
    lanes += p.bound_cycles[static_cast<std::size_t>(sim::timing::BoundUnit::kLanes)];
    if (p.kind != arch::PhaseKind::kEvents)
      CHECK(p.bound_cycles[static_cast<std::size_t>(sim::timing::BoundUnit::kLanes)] == 0);
  }
  CHECK(phases == tm.cycles);
  CHECK(lanes > tm.cycles / 2);
}

TEST_CASE("two SystemC models in one process run in turn, each keeping its own time", "[systemc]") {
  const std::string image = image_for("two");
  const auto tokens = heldout_tokens(6);
  auto a = sim::make_systemc_backend(arch::Image::open(image));
  std::vector<int32_t> la, lb;
  a->step_q16(tokens[0], la, nullptr);
  a->step_q16(tokens[1], la, nullptr);
  auto b = sim::make_systemc_backend(arch::Image::open(image));
  b->step_q16(tokens[0], lb, nullptr);
  a->step_q16(tokens[2], la, nullptr);
  b->step_q16(tokens[1], lb, nullptr);
  REQUIRE(a->timing().token_cycles.size() == 3);
  REQUIRE(b->timing().token_cycles.size() == 2);
  CHECK(a->timing().token_cycles[0] == b->timing().token_cycles[0]);  // same work, same cycles
  CHECK(a->timing().token_cycles[1] == b->timing().token_cycles[1]);
}

TEST_CASE("the SystemC model runs a multichip design on both network engines", "[systemc]") {
  const std::string image = image_for("multichip", [](std::string& s) { s += "multichip:\n  chips_x: 2\n  chips_y: 1\n"; });
  const auto tokens = heldout_tokens(3);
  sim::Counters ca, cf;
  const int64_t analytic = run(image, tokens, &ca);
  CHECK(analytic > 0);
  const std::string flit = image_for("multichip-flit", [](std::string& s) {
    replace(s, "noc:\n", "noc:\n  engine: flit\n");
    s += "multichip:\n  chips_x: 2\n  chips_y: 1\n";
  });
  const int64_t flits = run(flit, tokens, &cf);
  // The same work and the same flits on every link; the engines differ only in how they time
  // contention (the flit engine keeps each buffer's order: head-of-line blocking), within 10 % here.
  CHECK(cf.total.synaptic_ops == ca.total.synaptic_ops);
  CHECK(cf.link_flits == ca.link_flits);
  CHECK(static_cast<double>(flits) == Approx(static_cast<double>(analytic)).epsilon(0.10));
}

TEST_CASE("doubling lanes never increases cycles", "[systemc]") {
  const auto tokens = heldout_tokens(60);
  const int64_t base = run(image_for("lanes16"), tokens);
  const int64_t wide = run(image_for("lanes32", [](std::string& s) { replace(s, "lanes: 16", "lanes: 32"); }), tokens);
  const int64_t narrow = run(image_for("lanes8", [](std::string& s) { replace(s, "lanes: 16", "lanes: 8"); }), tokens);
  CHECK(wide <= base);
  CHECK(base <= narrow);
  CHECK(wide < narrow);  // on this model the lanes, not only the SRAM port, bound accumulation
}

TEST_CASE("twice the clock gives twice the tokens/s at equal cycles", "[systemc]") {
  const auto tokens = heldout_tokens(40);
  double f1 = 0, f2 = 0;
  // 250 MHz and 500 MHz are both within the default chip's operating points.
  const int64_t c1 = run(image_for("clk250", [](std::string& s) { replace(s, "clock_hz: 500e6", "clock_hz: 250e6"); }), tokens,
                         nullptr, &f1);
  const int64_t c2 = run(image_for("clk500"), tokens, nullptr, &f2);
  CHECK(c1 == c2);
  CHECK(f2 == 2 * f1);
  const double tps1 = f1 * static_cast<double>(tokens.size()) / static_cast<double>(c1);
  const double tps2 = f2 * static_cast<double>(tokens.size()) / static_cast<double>(c2);
  CHECK(tps2 == 2 * tps1);
}

TEST_CASE("energy: the sum of its breakdown, one entry changed moves it by count x delta", "[systemc]") {
  sim::Counters c;
  run(image_for("energy"), heldout_tokens(20), &c);
  arch::EnergyTable t = arch::EnergyTable::from_file(test::source_dir() + "/arch/energy/horowitz-45nm.yaml").at_node(22);
  const arch::ChipDescription chip = arch::ChipDescription::from_file(test::source_dir() + "/arch/chips/default-4x4.yaml");
  const arch::ActionCounts a = sim::action_counts(c, chip);
  const arch::EnergyBreakdown e1 = arch::energy(a, t, chip);
  double sum = 0;
  for (const auto& [k, pj] : e1.pj) sum += pj;
  CHECK(e1.total_pj == Approx(sum).epsilon(1e-12));
  CHECK(a.synaptic_ops > 0);
  t.actions["neuron_op"].energy_pj += 0.5;
  const arch::EnergyBreakdown e2 = arch::energy(a, t, chip);
  CHECK(e2.total_pj - e1.total_pj == Approx(0.5 * static_cast<double>(a.neuron_ops)).epsilon(1e-9));
}

TEST_CASE("a chip image with one weight flipped stops the run with the mismatch", "[systemc]") {
  const std::string good = image_for("good");
  const std::string bad = (fs::path(good).parent_path() / "flipped.nimg").string();
  {
    const arch::Image in = arch::Image::open(good);
    nlohmann::json m = in.manifest();
    const nlohmann::json blobs = m["blobs"];
    m.erase("blobs");
    arch::ImageWriter w(bad);
    for (const auto& b : blobs) {
      const std::string name = b["name"].get<std::string>();
      auto [data, bytes] = in.blob(name);
      std::vector<uint8_t> copy(data, data + bytes);
      if (name == "tile.0.weights") {  // row 0, column 0: 0 -> +1, +1 -> 0, -1 -> +1
        const unsigned code = copy[0] & 3u;
        copy[0] = static_cast<uint8_t>((copy[0] & ~3u) | (code == 1u ? 0u : 1u));
      }
      w.add_blob(name, copy.data(), copy.size());
    }
    w.finish(m);
  }
  CHECK_THROWS_WITH(run(bad, heldout_tokens(50)), Contains("cross-check: systemc and int differ at token"));
}

TEST_CASE("a known prompt flows through the layer pipeline: never slower than token by token", "[systemc]") {
  const std::string image = image_for("pipeline");
  const auto tokens = heldout_tokens(40);
  std::vector<int32_t> a, b;
  auto seq = sim::make_systemc_backend(arch::Image::open(image));
  std::vector<std::vector<int32_t>> seq_logits;
  for (int32_t t : tokens) {
    seq->step_q16(t, a, nullptr);
    seq_logits.push_back(a);
  }
  const int64_t sequential = seq->timing().cycles;
  auto pipe = sim::make_systemc_backend(arch::Image::open(image));
  pipe->begin_prefill();
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    pipe->step_q16(tokens[i], b, nullptr);
    REQUIRE(b == seq_logits[i]);  // timing never changes the bits
  }
  pipe->end_prefill();
  const int64_t pipelined = pipe->timing().cycles;
  REQUIRE(pipe->timing().token_cycles.size() == tokens.size());
  CHECK(pipelined < sequential);
  // Six stages (embedding, 4 layers, head) share 12 neurocores: the pipeline gains, but less
  // than the stage count.
  CHECK(static_cast<double>(sequential) / static_cast<double>(pipelined) > 1.5);
  CHECK(static_cast<double>(sequential) / static_cast<double>(pipelined) < 6.0);
  // Busy cycles are work, not waiting: the same in both.
  CHECK(pipe->timing().core_busy_cycles == seq->timing().core_busy_cycles);
}

TEST_CASE("an all-zero input event stream costs no synaptic operations", "[systemc]") {
  // The tiny model compiled for its test chip, with token 0's embedding row set to zero in the
  // image: from a zero state every activation of that token is zero, so no event is sent and no
  // synaptic operation happens anywhere.
  const std::string tiny = test::source_dir() + "/tests/fixtures/tiny";
  const std::string chip_path = test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  const fs::path dir = fs::temp_directory_path() / "neurark-test-systemc";
  fs::create_directories(dir);
  const std::string good = (dir / "tiny.nimg").string(), zero = (dir / "tiny-zero.nimg").string();
  const auto ck = std::make_shared<const models::Checkpoint>(models::Checkpoint::open(tiny));
  compiler::emit(compiler::compile_graph(ck, arch::ChipDescription::from_file(chip_path), test::slurp(chip_path), {}), good);
  {
    const arch::Image in = arch::Image::open(good);
    nlohmann::json m = in.manifest();
    const nlohmann::json blobs = m["blobs"];
    m.erase("blobs");
    const auto hidden = m["model"]["config"]["hidden_size"].get<std::size_t>();
    arch::ImageWriter w(zero);
    for (const auto& b : blobs) {
      const std::string name = b["name"].get<std::string>();
      auto [data, bytes] = in.blob(name);
      std::vector<uint8_t> copy(data, data + bytes);
      if (name == "host.embeddings_q16") std::fill(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(4 * hidden), 0);
      w.add_blob(name, copy.data(), copy.size());
    }
    w.finish(m);
  }
  auto sc = sim::make_systemc_backend(arch::Image::open(zero));
  std::vector<int32_t> logits;
  sc->step_q16(0, logits, nullptr);
  const sim::Counters after_zero = sc->counters();
  CHECK(after_zero.total.synaptic_ops == 0);
  CHECK(after_zero.total.events_out == 0);
  CHECK(after_zero.total.lane_cycles == 0);
  for (int32_t l : logits) CHECK(l == 0);
  const int64_t zero_cycles = sc->timing().token_cycles.at(0);
  sc->reset();
  sc->step_q16(1, logits, nullptr);  // a real token on the same image: work happens
  CHECK(sc->counters().total.synaptic_ops > 0);
  CHECK(sc->timing().token_cycles.at(1) > zero_cycles);
}

TEST_CASE("network: shallower buffers, narrower or slower links never make a run faster, and show where they cost", "[systemc]") {
  const auto tokens = heldout_tokens(24);
  const auto timed = [&](const std::string& tag, const std::function<void(std::string&)>& edit, sim::Timing* t) {
    auto sc = sim::make_systemc_backend(arch::Image::open(image_for(tag, edit)));
    std::vector<int32_t> logits;
    sc->begin_prefill();  // the prompt in flight across stages: links are shared between them
    for (int32_t tok : tokens) sc->step_q16(tok, logits, nullptr);
    sc->end_prefill();
    *t = sc->timing();
    return t->cycles;
  };
  sim::Timing base, shallow, narrow, slow;
  const int64_t c_base = timed("noc-base", {}, &base);
  const int64_t c_shallow = timed("noc-shallow", [](std::string& s) {
    replace(s, "input_fifo_depth: 64", "input_fifo_depth: 1");
    replace(s, "buffer_depth_flits: 4", "buffer_depth_flits: 1");
  }, &shallow);
  const int64_t c_narrow = timed("noc-narrow", [](std::string& s) { replace(s, "link_width_bits: 64", "link_width_bits: 8"); }, &narrow);
  const int64_t c_slow = timed("noc-slow", [](std::string& s) { replace(s, "link_latency_cycles: 1", "link_latency_cycles: 8"); }, &slow);
  CHECK(base.event_flits == 1);
  CHECK(narrow.event_flits == 4);  // a 30-bit event packet (24 + 6 flow bits) over 8-bit links
  CHECK(c_shallow >= c_base);
  CHECK(shallow.fifo_stall_cycles > base.fifo_stall_cycles);  // events wait longer for room in a 1-deep FIFO
  CHECK(c_narrow > c_base);
  // Whether stages also queue behind each other's 4-flit events depends on where the placement put
  // them (on the default placement since 2026-12-07 they do not): never less waiting, though.
  CHECK(narrow.link_wait_cycles >= base.link_wait_cycles);
  // ... and the NoC binds more of the run (value phases' busiest links carry 8 times the flits).
  const auto noc_cycles = [](const sim::Timing& t) {
    int64_t c = 0;
    for (const sim::PhaseTotals& p : t.phase_totals) c += p.bound_cycles[static_cast<std::size_t>(sim::timing::BoundUnit::kNoc)];
    return c;
  };
  CHECK(noc_cycles(narrow) > noc_cycles(base));
  CHECK(c_slow > c_base);
  // 64 lanes behind the same 64-bit port (32 weights a word): an event's 256-row tile takes 4 lane
  // steps but 8 SRAM words, so the port, not the lanes, binds the events phases; on the default
  // chip (16 lanes) the port never does.
  sim::Timing wide;
  timed("sram-port", [](std::string& s) { replace(s, "lanes: 16", "lanes: 64"); }, &wide);
  const auto unit_cycles = [](const sim::Timing& t, sim::timing::BoundUnit u) {
    int64_t c = 0;
    for (const sim::PhaseTotals& p : t.phase_totals) c += p.bound_cycles[static_cast<std::size_t>(u)];
    return c;
  };
  CHECK(unit_cycles(base, sim::timing::BoundUnit::kSramPort) == 0);
  CHECK(unit_cycles(wide, sim::timing::BoundUnit::kSramPort) > unit_cycles(wide, sim::timing::BoundUnit::kLanes));
}

namespace {

// A software neurocore for the co-simulation hook: arch::accumulate_event on its own copy of the
// weights, a fixed number of cycles per event; `skew` corrupts one accumulator.
class FakeCore final : public sim::CoreCosim {
 public:
  FakeCore(int64_t cycles, int32_t skew) : cycles_(cycles), skew_(skew) {}
  std::string name() const override { return "fake"; }
  void load_tile(int tile, const std::vector<uint8_t>& memory, int64_t rows, int64_t k) override {
    tiles_[tile] = {memory, rows, k, std::vector<int32_t>(static_cast<std::size_t>(rows), 0)};
  }
  std::vector<int64_t> run_events(int tile, const std::vector<std::pair<int64_t, int8_t>>& events) override {
    Tile& t = tiles_.at(tile);
    for (const auto& [k, q] : events)
      arch::accumulate_event(arch::WeightEncoding::kPacked2, t.mem.data(), static_cast<int64_t>(t.mem.size()), t.rows, t.k, 16,
                             64, k, q, t.acc.data());
    return std::vector<int64_t>(events.size(), cycles_);
  }
  std::vector<int32_t> take_accumulators(int tile) override {
    Tile& t = tiles_.at(tile);
    std::vector<int32_t> out = t.acc;
    out[0] += skew_;
    std::fill(t.acc.begin(), t.acc.end(), 0);
    return out;
  }

 private:
  struct Tile {
    std::vector<uint8_t> mem;
    int64_t rows = 0, k = 0;
    std::vector<int32_t> acc;
  };
  int64_t cycles_;
  int32_t skew_;
  std::map<int, Tile> tiles_;
};

}  // namespace

TEST_CASE("co-simulation: a neurocore implementation replaces the lane-array rule, checked at its accumulators", "[systemc]") {
  const std::string image = image_for("cosim");
  const auto tokens = heldout_tokens(12);
  const auto run_with = [&](int64_t cycles, int32_t skew, sim::Timing* t) {
    sim::SystemCOptions opt;
    for (int core : {5, 6}) opt.cosim_cores[core] = std::make_shared<FakeCore>(cycles, skew);
    auto sc = sim::make_systemc_backend(arch::Image::open(image), nullptr, opt);
    const sim::SystemCBackend* timing = sc.get();
    auto checked = sim::cross_checked(std::move(sc), sim::make_int_backend(weights()));
    std::vector<int32_t> logits;
    for (int32_t tok : tokens) checked->step_q16(tok, logits, nullptr);
    *t = timing->timing();
  };
  sim::Timing plain, slow;
  run_with(1, 0, &plain);
  run_with(400, 0, &slow);
  REQUIRE(plain.cosim.size() == 2);
  std::map<int, int64_t> tiles_on;
  for (const arch::ProgramTile& t : arch::Program::from_image(arch::Image::open(image)).tiles) ++tiles_on[t.core];
  for (const sim::CosimCycles& c : plain.cosim) {
    CHECK(c.events > 0);
    CHECK(c.cosim_cycles == c.events);  // 1 cycle per event, as the fake says
    CHECK(c.model_cycles > c.events);   // the behavioural rule charges several per event
    CHECK(c.accumulator_checks == 12 * tiles_on[c.core]);  // every tile of the core, every token
  }
  CHECK(slow.cosim.at(0).cosim_cycles == 400 * slow.cosim.at(0).events);
  CHECK(slow.cycles > plain.cycles);  // a slower core slows the chip down
  sim::Timing broken;
  // Both fakes are broken; the one whose tile is read out first is named (which depends on placement).
  CHECK_THROWS_WITH(run_with(1, 1, &broken), (Contains("co-simulation (fake): neurocore 5 differs from the functional model at token 0") ||
                                              Contains("co-simulation (fake): neurocore 6 differs from the functional model at token 0")) &&
                                                 Contains("accumulator row 0"));
}

TEST_CASE("events: the SystemC model under thresholds and sigma-delta, checked against int, fewer events, fewer cycles",
          "[systemc][events]") {
  const auto tokens = heldout_tokens(48);
  const auto run_mode = [&](const std::string& tag, const char* encoding, int threshold, std::vector<int32_t>* last,
                            sim::Counters* c) {
    const std::string image = image_for(tag, [&](std::string& t) {
      // Sigma-delta keeps each input's sent code and each row's accumulator: 16 KB of state
      // memory per neurocore (8 KB is short); every mode compared on the same chip.
      replace(t, "  state_memory_bytes: 8192\n", "  state_memory_bytes: 16384\n");
      replace(t, "  activation_bits: 8\n",
              fmt::format("  activation_bits: 8\n  event_encoding: {}\n  event_threshold: {}\n", encoding, threshold));
    });
    auto sc = sim::make_systemc_backend(arch::Image::open(image));
    const sim::SystemCBackend* timing = sc.get();
    arch::EventMode mode;
    mode.encoding = std::string(encoding) == "sigma_delta" ? arch::EventEncoding::kSigmaDelta : arch::EventEncoding::kAbsolute;
    mode.threshold = threshold;
    auto checked = sim::cross_checked(std::move(sc), sim::make_int_backend(models::IntModel::prepare(weights()), mode));
    std::vector<std::vector<int32_t>> all;
    for (int32_t t : tokens) {
      checked->step_q16(t, *last, nullptr);
      all.push_back(*last);
    }
    *c = checked->counters();
    CHECK(checked->tokens_cross_checked() == static_cast<int64_t>(tokens.size()));
    return std::pair{timing->timing().cycles, all};
  };
  std::vector<int32_t> l;
  sim::Counters dense_c, sd0_c, abs4_c, sd4_c;
  const auto [dense_cycles, dense_logits] = run_mode("ev-dense", "absolute", 0, &l, &dense_c);
  const auto [sd0_cycles, sd0_logits] = run_mode("ev-sd0", "sigma_delta", 0, &l, &sd0_c);
  const auto [abs4_cycles, abs4_logits] = run_mode("ev-abs4", "absolute", 4, &l, &abs4_c);
  const auto [sd4_cycles, sd4_logits] = run_mode("ev-sd4", "sigma_delta", 4, &l, &sd4_c);
  // Sigma-delta at theta 0: the dense outputs bit for bit, through other events.
  CHECK(sd0_logits == dense_logits);
  CHECK(sd0_c.total.events_out != dense_c.total.events_out);
  // Thresholds: fewer events and synaptic operations, and the time of the events phases falls.
  CHECK(abs4_c.total.events_out * 10 < dense_c.total.events_out * 8);
  CHECK(abs4_c.total.synaptic_ops < dense_c.total.synaptic_ops);
  CHECK(abs4_cycles < dense_cycles);
  CHECK(sd4_c.total.events_out < sd0_c.total.events_out);
  CHECK(sd4_cycles < sd0_cycles);
  CHECK(abs4_logits != dense_logits);
}
