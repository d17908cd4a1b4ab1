// SPDX-License-Identifier: Apache-2.0
// The functional backend runs chip images bit-exactly: logits, per-layer residual streams and
// per-BitLinear event streams equal the integer reference's, token by token; its independent
// activity counts (events, synaptic operations from the weight memories) equal the reference's.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <functional>
#include <set>
#include <sstream>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/runs/model_source.hpp"
#include "neurark/sim/backend.hpp"
#include "neurark/sim/functional.hpp"
#include "forged_images.hpp"
#include "test_paths.hpp"

using namespace neurark;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

struct Built {
  fs::path dir;
  std::string image;
  ~Built() { fs::remove_all(dir); }
};

// Compiles `weights` for `chip` into a fresh temporary image.
std::unique_ptr<Built> build(std::shared_ptr<const models::Checkpoint> w, const arch::ChipDescription& chip,
                             const std::string& chip_text, const std::string& tag) {
  auto b = std::make_unique<Built>();
  b->dir = fs::temp_directory_path() / ("neurark-test-func-" + tag);
  fs::remove_all(b->dir);
  fs::create_directories(b->dir);
  b->image = (b->dir / "m.nimg").string();
  compiler::CompileOptions opt;
  compiler::emit(compiler::compile_graph(std::move(w), chip, chip_text, opt), b->image);
  return b;
}

// Feeds `tokens` to both backends in lockstep; every unit boundary must agree bit for bit.
void lockstep(sim::Backend& ref, sim::Backend& dut, const std::vector<int32_t>& tokens) {
  std::vector<int32_t> la, lb;
  sim::StepObservation oa, ob;
  const sim::Counters ra = ref.counters(), da = dut.counters();  // counts before
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    ref.step_q16(tokens[t], la, &oa);
    dut.step_q16(tokens[t], lb, &ob);
    REQUIRE(oa.layer_out_q16.size() == ob.layer_out_q16.size());
    for (std::size_t l = 0; l < oa.layer_out_q16.size(); ++l) {
      INFO("token " << t << " layer " << l);
      REQUIRE(oa.layer_out_q16[l] == ob.layer_out_q16[l]);
    }
    REQUIRE(oa.bitlinear_events.size() == ob.bitlinear_events.size());
    for (std::size_t b = 0; b < oa.bitlinear_events.size(); ++b) {
      INFO("token " << t << " BitLinear " << b);
      REQUIRE(oa.bitlinear_events[b] == ob.bitlinear_events[b]);
    }
    INFO("token " << t);
    REQUIRE(la == lb);
  }
  const sim::Counters& rb = ref.counters();
  const sim::Counters& db = dut.counters();
  CHECK(rb.tokens - ra.tokens == static_cast<int64_t>(tokens.size()));
  CHECK(db.tokens - da.tokens == static_cast<int64_t>(tokens.size()));
  // Counted independently: the reference from column non-zeros, the backend from weight memories.
  CHECK(db.total.events_out - da.total.events_out == rb.total.events_out - ra.total.events_out);
  CHECK(db.total.synaptic_ops - da.total.synaptic_ops == rb.total.synaptic_ops - ra.total.synaptic_ops);
  CHECK(db.activation_codes - da.activation_codes == rb.activation_codes - ra.activation_codes);
  CHECK(db.total.synaptic_ops > da.total.synaptic_ops);
}

std::shared_ptr<const models::Checkpoint> open_ck(const std::string& dir) {
  return std::make_shared<const models::Checkpoint>(models::Checkpoint::open(dir));
}

std::unique_ptr<sim::Backend> int_backend(const std::string& dir) {
  return sim::make_int_backend(models::HGRNBitWeights::load(dir));
}

std::vector<int32_t> random_tokens(int n, int vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back(static_cast<int32_t>(rng() % static_cast<uint64_t>(vocab)));
  return t;
}

}  // namespace

TEST_CASE("func equals int on 1,200 held-out tokens of the bundled model, at every layer boundary", "[func]") {
  const auto w = open_ck(test::default_model_dir());
  const std::string chip_path = test::source_dir() + "/arch/chips/default-4x4.yaml";
  const auto b = build(w, arch::ChipDescription::from_file(chip_path), test::slurp(chip_path), "bundled");
  auto func = sim::make_functional_backend(arch::Image::open(b->image));
  auto ref = int_backend(w->dir);
  const std::string text = test::slurp(test::heldout_path()).substr(0, 1200);
  std::vector<int32_t> tokens(text.begin(), text.end());
  for (int32_t& t : tokens) t &= 0xff;
  lockstep(*ref, *func, tokens);
  // The chip-level counters exist and are consistent: every event reaches every tile of its
  // BitLinear (one tile each on this chip), and per-core counts add up to the totals.
  const sim::Counters& c = func->counters();
  CHECK(c.total.events_in == c.total.events_out);
  int64_t sops = 0;
  for (const sim::UnitCounters& u : c.per_core) sops += u.synaptic_ops;
  CHECK(sops == c.total.synaptic_ops);
  CHECK(c.flit_hops > 0);
  int64_t link_sum = 0;  // every flit-hop is one flit on one directed link
  for (int64_t f : c.link_flits) link_sum += f;
  CHECK(link_sum == c.flit_hops);
  CHECK(c.total.sram_words > 0);
}

TEST_CASE("func equals int on the tiny model cut into many tiles, packed2 and sparse", "[func]") {
  const std::string dir = test::source_dir() + "/tests/fixtures/tiny";
  const auto w = open_ck(dir);
  const std::string chip_path = test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  for (const char* enc : {"packed2", "sparse"}) {
    SECTION(enc) {
      std::string text = test::slurp(chip_path);
      text.replace(text.find("weight_encoding: packed2"), 24, std::string("weight_encoding: ") + enc);
      if (std::string(enc) == "sparse") text.replace(text.find("synapse_sram_bytes: 64"), 22, "synapse_sram_bytes: 512");
      const auto chip = arch::ChipDescription::from_yaml_text(text, "tiny-3x2 (test)");
      const auto b = build(w, chip, text, std::string("tiny-") + enc);
      auto func = sim::make_functional_backend(arch::Image::open(b->image));
      auto ref = int_backend(w->dir);
      lockstep(*ref, *func, random_tokens(300, 20, 5));
      // The tiles of gate_proj (3) and lm_head (3) each receive every event of their BitLinear.
      CHECK(func->counters().total.events_in > func->counters().total.events_out);
      // reset() zeroes the MLGRU state in both: the same first token gives the same logits.
      func->reset();
      ref->reset();
      lockstep(*ref, *func, {3, 4, 5});
    }
  }
}

namespace {

// Checks that every event names the flow it travels on: an events flow of its BitLinear from
// its source core (the flow picks the multicast tree the SystemC model walks and the packet's
// flow field).
struct FlowChecker final : sim::EventProbe {
  const arch::Program& program;
  int64_t events = 0, remote = 0;
  std::set<int> seen;
  explicit FlowChecker(const arch::Program& p) : program(p) {}
  void event_out(const sim::PhaseInfo& phase, int core, int flow, int64_t, int8_t, int64_t) override {
    ++events;
    if (flow < 0) return;  // every tile on the source core
    ++remote;
    seen.insert(flow);
    const arch::Flow& f = program.flows.at(static_cast<std::size_t>(flow));
    INFO("event of op " << phase.op << " from core " << core << " on flow " << flow);
    REQUIRE(f.kind == arch::FlowKind::kEvents);
    REQUIRE(f.op == phase.op);
    REQUIRE(f.src_core == core);
  }
  void event_in(const sim::PhaseInfo&, int, int, int64_t, int8_t, const arch::EventCost&, int64_t) override {}
  void accumulators(const sim::PhaseInfo&, int, int, const int32_t*, int64_t) override {}
};

}  // namespace

TEST_CASE("every event travels on its own BitLinear's flow from its source core", "[func]") {
  const std::string dir = test::source_dir() + "/tests/fixtures/tiny";
  const std::string chip_path = test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  const auto b = build(open_ck(dir), arch::ChipDescription::from_file(chip_path), test::slurp(chip_path), "flows");
  const arch::Image img = arch::Image::open(b->image);
  const arch::Program program = arch::Program::from_image(img);
  FlowChecker probe(program);
  auto func = sim::make_functional_backend(img, program, {}, &probe);
  std::vector<int32_t> logits;
  for (int32_t t : random_tokens(20, 20, 9)) func->step_q16(t, logits, nullptr);
  CHECK(probe.remote > 0);
  CHECK(probe.seen.size() > 1);  // several events flows in use, each named correctly
}

TEST_CASE("a phase names exactly the cores and links whose counters it changed", "[func]") {
  // The SystemC model looks only at PhaseInfo::cores and links after each phase and copies only
  // those (sim::copy_changed_counters): checked here against whole snapshots, phase by phase.
  const std::string dir = test::source_dir() + "/tests/fixtures/tiny";
  const std::string chip_path = test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  const auto b = build(open_ck(dir), arch::ChipDescription::from_file(chip_path), test::slurp(chip_path), "changed");
  const arch::Image img = arch::Image::open(b->image);
  sim::Counters last, partial;
  int64_t phases = 0, named_cores = 0, named_links = 0;
  const auto observe = [&](const sim::PhaseInfo& info, const sim::Counters& now) {
    if (last.per_core.empty()) last = partial = sim::Counters{0, 0, {}, std::vector<sim::UnitCounters>(now.per_core.size()), 0, 0,
                                                               std::vector<int64_t>(now.link_flits.size(), 0)};
    ++phases;
    CHECK(std::is_sorted(info.cores.begin(), info.cores.end()));
    CHECK(std::is_sorted(info.links.begin(), info.links.end()));
    const sim::Counters d = sim::counters_delta(now, last);
    for (std::size_t c = 0; c < now.per_core.size(); ++c) {
      const bool named = std::find(info.cores.begin(), info.cores.end(), static_cast<int>(c)) != info.cores.end();
      const sim::UnitCounters& u = d.per_core[c];
      const bool changed = u.synaptic_ops || u.synaptic_skips || u.events_out || u.events_in || u.sram_words || u.dram_words ||
                           u.neuron_ops || u.lut_reads || u.values_out || u.reductions || u.codes || u.lane_cycles ||
                           u.sram_port_cycles;
      CHECK(changed == named);
      named_cores += named;
    }
    for (std::size_t l = 0; l < now.link_flits.size(); ++l) {
      const bool named = std::find(info.links.begin(), info.links.end(), static_cast<int>(l)) != info.links.end();
      CHECK((d.link_flits[l] != 0) == named);
      named_links += named;
    }
    sim::copy_changed_counters(partial, now, info.cores, info.links);
    const sim::Counters z = sim::counters_delta(now, partial);
    CHECK(z.tokens == 0);
    CHECK(z.activation_codes == 0);
    CHECK(z.flits == 0);
    CHECK(z.flit_hops == 0);
    CHECK(z.total.synaptic_ops == 0);
    for (const sim::UnitCounters& u : z.per_core) CHECK((u.synaptic_ops == 0 && u.neuron_ops == 0 && u.codes == 0 && u.values_out == 0));
    for (int64_t f : z.link_flits) CHECK(f == 0);
    last = now;
  };
  auto func = sim::make_functional_backend(img, arch::Program::from_image(img), observe);
  std::vector<int32_t> logits;
  for (int32_t t : random_tokens(3, 20, 4)) func->step_q16(t, logits, nullptr);
  CHECK(phases > 0);
  CHECK(named_cores > 0);
  CHECK(named_links > 0);
}

TEST_CASE("func equals int when weights stream from DRAM", "[func]") {
  const auto w = open_ck(test::default_model_dir());
  const std::string chip_path = test::source_dir() + "/arch/chips/edge-2x2.yaml";
  std::string text = test::slurp(chip_path) + "dram:\n  present: true\n  bytes: 1073741824\n";
  text.replace(text.find("state_memory_bytes: 4096"), 24, "state_memory_bytes: 16384");
  const auto chip = arch::ChipDescription::from_yaml_text(text, chip_path);
  const auto b = build(w, chip, text, "dram");
  auto func = sim::make_functional_backend(arch::Image::open(b->image));
  auto ref = int_backend(w->dir);
  const std::string held = test::slurp(test::heldout_path()).substr(5000, 100);
  std::vector<int32_t> tokens;
  for (unsigned char ch : held) tokens.push_back(ch);
  lockstep(*ref, *func, tokens);
}

using test::rewrite;

TEST_CASE("a malformed image program is refused with the field named", "[func][image]") {
  const auto w = open_ck(test::source_dir() + "/tests/fixtures/tiny");
  const std::string chip_path = test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  const auto b = build(w, arch::ChipDescription::from_file(chip_path), test::slurp(chip_path), "bad");
  const std::string bad = (b->dir / "bad.nimg").string();
  const auto open = [&] { return sim::make_functional_backend(arch::Image::open(bad)); };
  rewrite(b->image, bad, [](nlohmann::json& m) { m["ops"][3]["kind"] = "conv2d"; });
  CHECK_THROWS_WITH(open(), Contains("bad.nimg: image program: ops[3].kind: unknown op 'conv2d'"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["tiles"][0]["core"] = 99; });
  CHECK_THROWS_WITH(open(), Contains("tiles[0].core: core 99 outside the chip's 6 neurocores"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m.erase("schedule"); });
  CHECK_THROWS_WITH(open(), Contains("image program: malformed manifest") && Contains("schedule"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["format"] = "other"; });
  CHECK_THROWS_WITH(open(), Contains("format: \"other\", expected \"neurark-image\""));
  rewrite(b->image, bad, [](nlohmann::json&) {}, "lut.sigmoid_q32");
  CHECK_THROWS_WITH(open(), Contains("differs from this build's sigmoid LUT"));
  rewrite(b->image, bad, [](nlohmann::json&) {}, "tile.0.weights",
          [](std::vector<uint8_t>& mem) { mem[3] = static_cast<uint8_t>((mem[3] & ~3u) | 2u); });
  CHECK_THROWS_WITH(open(), Contains("image program: tiles[0]: weight memory byte 3 holds the invalid ternary code 10"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["chip"]["text"] = "format: neurark-chip\nversion: 9\n"; });
  CHECK_THROWS_WITH(open(), Contains("(chip.text)") && Contains("version"));
}

TEST_CASE("the image's program reads back field for field, and a malformed flow is refused", "[func][image]") {
  const auto w = open_ck(test::source_dir() + "/tests/fixtures/tiny");
  const std::string chip_path = test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  const auto b = build(w, arch::ChipDescription::from_file(chip_path), test::slurp(chip_path), "program");
  {
    const arch::Image img = arch::Image::open(b->image);
    const arch::Program p = arch::Program::from_image(img);
    nlohmann::json m = img.manifest();
    m.erase("blobs");
    CHECK(p.to_manifest() == m);  // what emit wrote is what the program holds, both ways
    CHECK(p.bitlinear_count() == 2 * 6 + 1);
    CHECK(p.grid().width == 3);
    // Walk order: every tree link's source is the flow's source or reached before it.
    for (std::size_t f = 0; f < p.flows.size(); ++f) {
      std::set<int> reached = {p.grid().resolve(p.flows[f].src_core)};
      for (const auto& [id, from, to] : p.walk_order(static_cast<int>(f))) {
        CHECK(reached.count(from) == 1);
        CHECK(id == p.grid().link_id(from, to));
        reached.insert(to);
      }
    }
  }
  const std::string bad = (b->dir / "bad.nimg").string();
  const auto open = [&] { return arch::Program::from_image(arch::Image::open(bad)); };
  // Find an events flow with at least two links and reverse its first link.
  const nlohmann::json flows = arch::Image::open(b->image).manifest()["flows"];
  std::size_t two = 0;
  while (two < flows.size() && flows[two]["links"].size() < 2) ++two;
  REQUIRE(two < flows.size());
  rewrite(b->image, bad, [&](nlohmann::json& m) {
    auto& l = m["flows"][two]["links"][0];
    l = nlohmann::json::array({l[1], l[0]});
  });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("image program: flows[{}].links: not a tree rooted at the flow's source", two)));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["flows"][0]["links"] = nlohmann::json::array({nlohmann::json::array({0, 4})}); });
  CHECK_THROWS_WITH(open(), Contains("flows.links: a link joins two cores that are not mesh neighbours"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["flows"][0]["kind"] = "spikes"; });
  CHECK_THROWS_WITH(open(), Contains("flows[0].kind: unknown flow kind 'spikes'"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["weight_encoding"] = "sparse"; });
  CHECK_THROWS_WITH(open(), Contains("weight_encoding: \"sparse\", but the chip's neurocore.weight_encoding is \"packed2\""));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["schedule"][0]["kind"] = "spike"; });
  CHECK_THROWS_WITH(open(), Contains("schedule.kind: unknown phase 'spike'"));
  // Too few inputs (an add_sat with one, a product with none) or a short operand would read out
  // of bounds: refused on load.
  std::size_t add = 0, prod = 0;
  const nlohmann::json ops = arch::Image::open(b->image).manifest()["ops"];
  while (ops[add]["kind"] != "add_sat") ++add;
  while (ops[prod]["kind"] != "product") ++prod;
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][add]["inputs"].erase(1); });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].inputs: 1 input(s), expected 2 for add_sat", add)));
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][prod]["inputs"] = nlohmann::json::array(); });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].inputs: 0 input(s), expected 2 for product", prod)));
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][add]["inputs"][1][2] = 3; });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].inputs: an operand of 3 channels for an output of 8", add)));
  // An operand offset near INT64_MAX (found by fuzz_image: offset + length overflowed) or a
  // negative length: refused, not wrapped.
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][add]["inputs"][1][1] = INT64_MAX; });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].inputs: operand range outside its tensor", add)));
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][add]["inputs"][1][2] = -1; });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].inputs: operand range outside its tensor", add)));
  // A BitLinear's layer scale outside what the per-token scale arithmetic takes (found by
  // fuzz_image: an exponent of 2^31 - 1 ended in std::overflow_error while stepping).
  std::size_t bl = 0;
  while (ops[bl]["kind"] != "bitlinear") ++bl;
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][bl]["layer_c"][1] = 2147483647; });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].layer_c: [", bl)) && Contains("is not a scale"));
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][bl]["layer_c"][0] = 1; });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].layer_c: [1, ", bl)) && Contains("is not a scale"));
  // A norm_scale's exponent and eps (docs/numerics.md §4a) outside what the datapath takes; an image
  // of another numerics revision.
  std::size_t ns = 0;
  while (ops[ns]["kind"] != "norm_scale") ++ns;
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][ns]["norm_exp"] = 63; });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].norm_exp: 63 outside [0, 62]", ns)));
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][ns]["eps"][1] = 0; });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].eps: [", ns)) && Contains("is not an eps"));
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][ns].erase("eps"); });
  CHECK_THROWS_WITH(open(), Contains("eps"));
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["numerics"] = 2; });
  CHECK_THROWS_WITH(open(), Contains("numerics: 2, but this build computes revision 4"));
  rewrite(b->image, bad, [&](nlohmann::json& m) { m.erase("numerics"); });
  CHECK_THROWS_WITH(open(), Contains("numerics: 1, but this build computes revision 4"));
  // A BitLinear without its norm constant (found by fuzz_image: std::out_of_range from the backend).
  rewrite(b->image, bad, [&](nlohmann::json& m) { m["ops"][bl]["consts"].erase("norm"); });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("ops[{}].consts: no 'norm' for a bitlinear op", bl)));
  // A phase its op's kind does not run (found by fuzz_image: a reduce phase on the embedding read a
  // product's second operand that does not exist), or an op's phases out of order: refused on load.
  rewrite(b->image, bad, [](nlohmann::json& m) {
    m["schedule"].insert(m["schedule"].begin() + 1, nlohmann::json{{"kind", "reduce"}, {"op", 0}, {"cores", {0}}});
  });
  CHECK_THROWS_WITH(open(), Contains("image program: schedule: op 0 (model.embeddings, embed) has the phases [inject, reduce], "
                                     "expected [inject]"));
  std::size_t ev = 0;
  const nlohmann::json sched = arch::Image::open(b->image).manifest()["schedule"];
  while (sched[ev]["kind"] != "events") ++ev;
  rewrite(b->image, bad, [&](nlohmann::json& m) { std::swap(m["schedule"][ev - 1], m["schedule"][ev]); });
  CHECK_THROWS_WITH(open(), Contains("has the phases [events, reduce, requantize") && Contains("expected [reduce, events, requantize]"));
  // Routing tables: a destination never reached, a turn off the tree, an entry off the route.
  rewrite(b->image, bad, [](nlohmann::json& m) {
    for (auto& r : m["routing"])
      for (auto& e : r["entries"])
        if (e[0] == 0) e[1] = e[1].get<int>() & ~16;  // flow 0 delivered nowhere
  });
  CHECK_THROWS_WITH(open(), Contains("image program: flows[0]: its routing tables deliver it to cores {}, expected its destinations"));
  rewrite(b->image, bad, [&](nlohmann::json& m) {
    const int src = m["flows"][two]["links"][0][0].get<int>(), dst = m["flows"][two]["links"][0][1].get<int>();
    const int wrong = dst == src + 1 ? 8 : 1;  // send it north (or east) instead of along its tree
    for (auto& r : m["routing"])
      if (r["core"] == src)
        for (auto& e : r["entries"])
          if (e[0] == static_cast<int>(two)) e[1] = (e[1].get<int>() & 16) | wrong;
  });
  CHECK_THROWS_WITH(open(), Contains(fmt::format("image program: flows[{}]: router", two)) &&
                                (Contains("a link that is not in its tree") || Contains("off the mesh")));
  rewrite(b->image, bad, [](nlohmann::json& m) {
    m["routing"].push_back({{"core", 5}, {"entries", nlohmann::json::array({nlohmann::json::array({0, 16})})}});
  });
  CHECK_THROWS_WITH(open(), Contains("routing: 1 routing-table entries lie off their flow's route"));
  // Four flows around the square of cores 0, 1, 4, 3 of the 3 x 2 mesh, each turning the same
  // way: every route is consistent with its tables, but together their links wait on each other
  // in a cycle (a deadlock XY routing never builds).
  rewrite(b->image, bad, [](nlohmann::json& m) { test::add_deadlocking_ring(m); });
  CHECK_THROWS_WITH(open(), Contains("routing: the routes can deadlock: their channel dependency graph has a cycle"));
  // Numbers beyond what the arithmetic holds, or the chip allows.
  rewrite(b->image, bad, [](nlohmann::json& m) { m["model"]["config"]["vocab_size"] = int64_t{1} << 40; });
  CHECK_THROWS_WITH(open(), Contains("model.config.vocab_size: 1099511627776 outside [1, 2147483647]"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["ops"][2]["layer"] = 7; });
  CHECK_THROWS_WITH(open(), Contains("ops[2].layer: 7 outside [-1, 2)"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["tiles"][0]["rows"][1] = m["tiles"][0]["rows"][0].get<int64_t>() + 9; });
  CHECK_THROWS_WITH(open(), Contains("tiles[0].rows: 9 rows, more than a neurocore's 8 accumulators"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["tensors"][1]["length"] = 0; });
  CHECK_THROWS_WITH(open(), Contains("tensors.x.0.length: 0 outside [1, 24] (the model's longest vector)"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["model"]["config"]["vocab_size"] = 21; });
  CHECK_THROWS_WITH(open(), Contains("consts.table: 640 bytes, a 21 x 8 table of int32 has 672"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["flows"][0]["channels"] = -4; });
  CHECK_THROWS_WITH(open(), Contains("flows[0].channels: -4 outside"));
  rewrite(b->image, bad, [](nlohmann::json& m) { m["tiles"][0]["op"] = 0; });
  CHECK_THROWS_WITH(open(), Contains("ops[2].tiles: tile 0 does not belong to this op"));
}

namespace {

// A chip backend that lies on purpose: logit 0 plus one at token `bad_logit_token`, or a recurrent
// state with channel 0 of layer 0 off by 2^12 (1/256 in Q11.20) when asked after `bad_state_after` tokens.
class Tampered final : public sim::Backend {
 public:
  Tampered(std::unique_ptr<sim::Backend> inner, int64_t bad_logit_token, int64_t bad_state_after)
      : inner_(std::move(inner)), bad_logit_token_(bad_logit_token), bad_state_after_(bad_state_after) {}
  std::string name() const override { return "tampered"; }
  int64_t vocab_size() const override { return inner_->vocab_size(); }
  void reset() override { inner_->reset(); }
  const sim::Counters& counters() const override { return inner_->counters(); }
  void step_q16(int32_t token, std::vector<int32_t>& logits_q16, sim::StepObservation* obs) override {
    inner_->step_q16(token, logits_q16, obs);
    if (tokens_++ == bad_logit_token_) logits_q16[0] += 1;
  }
  sim::RecurrentState recurrent_state() const override {
    sim::RecurrentState h = inner_->recurrent_state();
    if (tokens_ == bad_state_after_) h.h_q20[0][0] += 1 << 12;
    return h;
  }

 private:
  std::unique_ptr<sim::Backend> inner_;
  int64_t bad_logit_token_, bad_state_after_, tokens_ = 0;
};

}  // namespace

TEST_CASE("cross_checked with check_every N: one token in N, each from the chip's own state", "[functional][cross_check]") {
  const std::string model = test::source_dir() + "/tests/fixtures/tiny";
  const std::string chip_path = test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  const runs::CompiledImage img = runs::compile_image(model, chip_path);
  const models::HGRNBitWeights w = models::HGRNBitWeights::load(model);
  const auto func = [&] { return sim::make_functional_backend(img.image, img.program); };
  const auto tampered = [&](int64_t logit_token, int64_t state_after) {
    return std::unique_ptr<sim::Backend>(std::make_unique<Tampered>(func(), logit_token, state_after));
  };
  std::vector<int32_t> tokens;
  for (int i = 0; i < 12; ++i) tokens.push_back((i * 7 + 3) % static_cast<int32_t>(w.config.vocab_size));
  // Runs `tokens`; "" if no difference was found, else the cross-check's message.
  const auto run = [&](std::unique_ptr<sim::Backend> be, int64_t every, int64_t* compared = nullptr,
                       std::vector<std::vector<int32_t>>* all_logits = nullptr) -> std::string {
    auto checked = sim::cross_checked(std::move(be), sim::make_int_backend(w), every);
    std::vector<int32_t> logits;
    try {
      for (int32_t t : tokens) {
        checked->step_q16(t, logits, nullptr);
        if (all_logits != nullptr) all_logits->push_back(logits);
      }
    } catch (const Error& e) {
      return e.what();
    }
    if (compared != nullptr) *compared = checked->tokens_cross_checked();
    return "";
  };

  SECTION("the functional backend's state is the reference's, and checking does not change what it computes") {
    const sim::RecurrentState ref_state = [&] {
      auto ref = sim::make_int_backend(w);
      std::vector<int32_t> l;
      for (int32_t t : tokens) ref->step_q16(t, l, nullptr);
      return ref->recurrent_state();
    }();
    auto f = func();
    std::vector<int32_t> l;
    for (int32_t t : tokens) f->step_q16(t, l, nullptr);
    REQUIRE(ref_state.h_q20.size() == static_cast<std::size_t>(w.config.num_hidden_layers));
    CHECK(ref_state.sent_codes.empty());  // absolute events keep no codes
    CHECK(f->recurrent_state() == ref_state);
    int64_t nonzero = 0;
    for (const auto& h : ref_state.h_q20)
      for (int32_t v : h) nonzero += v != 0;
    CHECK(nonzero > 0);  // a state worth comparing
    std::vector<std::vector<int32_t>> every1, every5;
    int64_t n1 = 0, n5 = 0;
    CHECK(run(func(), 1, &n1, &every1).empty());
    CHECK(run(func(), 5, &n5, &every5).empty());
    CHECK(n1 == 12);
    CHECK(n5 == 3);  // tokens 0, 5, 10
    CHECK(every1 == every5);
  }
  SECTION("a difference on an unchecked token goes unseen; on a checked one it is named") {
    int64_t n = 0;
    CHECK(run(tampered(3, -1), 2, &n).empty());  // token 3 is not one of 0, 2, 4, ...
    CHECK(n == 6);
    const std::string msg = run(tampered(3, -1), 3);
    CHECK_THAT(msg, Catch::Contains("differ at token 3, logit 0"));
    CHECK_THAT(run(tampered(3, -1), 1), Catch::Contains("differ at token 3, logit 0"));
  }
  SECTION("the reference starts a checked token from the state the chip gives") {
    // After 6 tokens the chip reports a wrong state, and token 6 is checked (N = 2, 3 or 6):
    // the reference computes token 6 from that state, so its outputs differ from the chip's.
    for (int64_t every : {2, 3, 6}) {
      INFO("check_every " << every);
      const std::string msg = run(tampered(-1, 6), every);
      CHECK_THAT(msg, Catch::Contains("differ at token 6"));
    }
    // With N = 4, token 6 is not checked: the lie is never read (the reference runs tokens 4 and 8).
    CHECK(run(tampered(-1, 6), 4).empty());
  }
  SECTION("the state after a checked token is compared") {
    // The chip reports a wrong state right after token 4 (a checked token for N = 2 and 4): named.
    for (int64_t every : {2, 4}) {
      INFO("check_every " << every);
      const std::string msg = run(tampered(-1, 5), every);
      CHECK_THAT(msg, Catch::Contains("differ at token 4") && Catch::Contains("MLGRU state of layer 0 after the token, channel 0"));
    }
  }
  SECTION("check_every below 1 is refused") {
    CHECK_THROWS_AS(sim::cross_checked(func(), sim::make_int_backend(w), 0), std::invalid_argument);
  }
}

// ---- Events: thresholds and sigma-delta (docs/numerics.md §5b) --------------------------------

namespace {

arch::EventMode mode_of(arch::EventEncoding e, int32_t threshold) {
  arch::EventMode m;
  m.encoding = e;
  m.threshold = threshold;
  return m;
}

// The tiny fixture chip with its events set (and room for the sigma-delta state).
std::string tiny_chip_with(const arch::EventMode& m) {
  const std::string path = test::source_dir() + "/tests/fixtures/tiny-3x2.yaml";
  std::string text = test::slurp(path);
  text.replace(text.find("state_memory_bytes: 256"), 23, "state_memory_bytes: 1024");
  arch::EventOverride o;
  o.encoding = m.encoding;
  o.threshold = m.threshold;
  return arch::chip_text_with_events(text, path, o);
}

}  // namespace

TEST_CASE("events: func equals the int reference under every event mode, tiles cut and tokens carried", "[func][events]") {
  const std::string dir = test::source_dir() + "/tests/fixtures/tiny";
  const auto w = open_ck(dir);
  const std::vector<int32_t> tokens = random_tokens(300, 20, 11);
  // Dense logits, to compare the theta = 0 modes with.
  std::vector<std::vector<int32_t>> dense;
  int64_t dense_events = 0, dense_sops = 0;
  {
    auto ref = int_backend(dir);
    std::vector<int32_t> l;
    for (int32_t t : tokens) {
      ref->step_q16(t, l, nullptr);
      dense.push_back(l);
    }
    dense_events = ref->counters().total.events_out;
    dense_sops = ref->counters().total.synaptic_ops;
  }
  std::map<std::pair<arch::EventEncoding, int32_t>, std::pair<int64_t, int64_t>> events_of;  // -> events, SOPs
  for (const auto& [enc, theta] : {std::pair{arch::EventEncoding::kSigmaDelta, 0}, {arch::EventEncoding::kAbsolute, 2},
                                   {arch::EventEncoding::kSigmaDelta, 2}, {arch::EventEncoding::kSigmaDelta, 40}}) {
    const arch::EventMode mode = mode_of(enc, theta);
    INFO(arch::to_string(enc) << " threshold " << theta);
    const std::string text = tiny_chip_with(mode);
    const auto chip = arch::ChipDescription::from_yaml_text(text, "tiny-3x2 (events)");
    REQUIRE(chip.core.events == mode);
    const auto b = build(w, chip, text, fmt::format("events-{}-{}", arch::to_string(enc), theta));
    auto func = sim::make_functional_backend(arch::Image::open(b->image));
    auto ref = sim::make_int_backend(models::IntModel::load(dir), mode);
    lockstep(*ref, *func, tokens);  // every event, residual, logit equal; counts equal
    // The int reference alone, again: logits at theta = 0 are the dense ones bit for bit.
    auto again = sim::make_int_backend(models::IntModel::load(dir), mode);
    std::vector<int32_t> l;
    bool same = true;
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      again->step_q16(tokens[t], l, nullptr);
      same = same && l == dense[t];
    }
    const int64_t events = again->counters().total.events_out, sops = again->counters().total.synaptic_ops;
    if (theta == 0) {
      CHECK(same);
      CHECK(events != dense_events);  // sigma-delta sends changes, not codes: other events, same outputs
    } else {
      CHECK_FALSE(same);              // a threshold changes what is computed
    }
    events_of[{enc, theta}] = {events, sops};
  }
  // Absolute: a threshold sends fewer events than the dense path. Sigma-delta on random tokens
  // through a random model: most codes change a lot from token to token, so it sends more events
  // than the dense path (a change above 127 goes as two); the bundled model on text is measured
  // in the next test.
  using E = arch::EventEncoding;
  CHECK(events_of.at({E::kAbsolute, 2}).first < dense_events);
  CHECK(events_of.at({E::kAbsolute, 2}).second < dense_sops);
  CHECK(events_of.at({E::kSigmaDelta, 0}).first > dense_events);
}

TEST_CASE("events: sigma-delta state is part of the recurrent state, carried by check_every and state loads", "[func][events][cross_check]") {
  const std::string dir = test::source_dir() + "/tests/fixtures/tiny";
  const arch::EventMode mode = mode_of(arch::EventEncoding::kSigmaDelta, 1);
  const std::string text = tiny_chip_with(mode);
  const auto chip = arch::ChipDescription::from_yaml_text(text, "tiny-3x2 (events)");
  const auto b = build(open_ck(dir), chip, text, "events-state");
  const arch::Image img = arch::Image::open(b->image);
  const arch::Program program = arch::Program::from_image(img);
  std::vector<int32_t> tokens;
  for (int i = 0; i < 12; ++i) tokens.push_back((i * 7 + 3) % 20);
  const auto ref_model = [&] { return sim::make_int_backend(models::IntModel::load(dir), mode); };
  auto ref = ref_model();
  auto func = sim::make_functional_backend(img, program);
  std::vector<int32_t> l;
  for (int32_t t : tokens) {
    ref->step_q16(t, l, nullptr);
    func->step_q16(t, l, nullptr);
  }
  const sim::RecurrentState s = ref->recurrent_state();
  REQUIRE(s.sent_codes.size() == 6 * 2 + 1);  // 6 BitLinears per layer, 2 layers, lm_head
  int64_t sent = 0;
  for (const auto& v : s.sent_codes)
    for (int8_t q : v) sent += q != 0;
  CHECK(sent > 0);
  CHECK(func->recurrent_state() == s);

  SECTION("check_every 3 passes, each checked token computed from the chip's state (sent codes included)") {
    auto checked = sim::cross_checked(sim::make_functional_backend(img, program), ref_model(), 3);
    for (int32_t t : tokens) checked->step_q16(t, l, nullptr);
    CHECK(checked->tokens_cross_checked() == 4);
  }
  SECTION("a state loaded into the chip continues as the reference does (accumulators rebuilt from the sent codes)") {
    auto f2 = sim::make_functional_backend(img, program);
    f2->load_recurrent_state(s);
    auto r2 = ref_model();
    r2->load_recurrent_state(s);
    lockstep(*r2, *f2, random_tokens(30, 20, 3));
  }
  SECTION("a wrong sent code is named") {
    sim::RecurrentState bad = s;
    bad.sent_codes[4][0] = static_cast<int8_t>(bad.sent_codes[4][0] == 5 ? 6 : 5);
    auto f2 = sim::make_functional_backend(img, program);
    f2->load_recurrent_state(bad);
    auto r2 = ref_model();
    r2->load_recurrent_state(s);
    auto checked = sim::cross_checked(std::move(f2), std::move(r2), 1);
    // BitLinear 4 is layer 0's gate_proj. Either input 0 sends a change (then it differs from the
    // reference's: its events are named) or it sends none (then the accumulators, W times the sent
    // codes, differ: its output is named).
    CHECK_THROWS_WITH(checked->step_q16(tokens[0], l, nullptr),
                      Contains("input events of BitLinear 4") || Contains("model.layers.0.mlp.gate_proj"));
  }
  SECTION("a state of the wrong shape is refused") {
    sim::RecurrentState bad = s;
    bad.sent_codes.pop_back();
    CHECK_THROWS_AS(sim::make_functional_backend(img, program)->load_recurrent_state(bad), std::invalid_argument);
    CHECK_THROWS_AS(ref_model()->load_recurrent_state(bad), std::invalid_argument);
  }
}
