// SPDX-License-Identifier: Apache-2.0
// The run as a library (runs/run.hpp): the command line and runs::run give the same report, and
// the figures hold together (the energy parts add up, every token is checked).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "checkpoint_fixtures.hpp"
#include "neurark/arch/energy.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/runs/eval.hpp"
#include "neurark/runs/run.hpp"
#include "test_paths.hpp"

using namespace neurark;
namespace fs = std::filesystem;

namespace {

runs::RunOptions options(const std::string& backend) {
  runs::RunOptions o;
  o.model_dir = test::default_model_dir();
  o.chip_path = test::source_dir() + "/arch/chips/default-4x4.yaml";
  o.prompt = "ROMEO: ";
  o.max_new_tokens = 5;
  o.backend = backend;
  o.run_id = "test";
  return o;
}

// The same run through `neurark run`: its report.json, run id aside.
nlohmann::json cli_report(const runs::RunOptions& o, const neurark_test::TempDir& tmp) {
  const std::string out = tmp.file("report");
  const std::string cmd = std::string(NEURARK_CLI) + " run --model " + o.model_dir + " --chip " + o.chip_path + " --prompt '" +
                          o.prompt + "' --max-new-tokens " + std::to_string(o.max_new_tokens) + " --backend " + o.backend +
                          " --out " + out + " >" + tmp.file("o.txt") + " 2>" + tmp.file("e.txt");
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  nlohmann::json j = nlohmann::json::parse(test::slurp(out + "/report.json"));
  j["run_id"] = o.run_id;
  return j;
}

void check_figures(const runs::RunResult& r, const runs::RunOptions& o) {
  CHECK(r.prompt_tokens == static_cast<int64_t>(o.prompt.size()));
  CHECK(r.tokens == r.prompt_tokens + o.max_new_tokens - 1);
  CHECK(r.tokens_compared == r.tokens);  // every token fed was checked against int
  CHECK(r.generated_text.size() == static_cast<std::size_t>(o.max_new_tokens));
  double parts = r.network.energy_j;
  for (const runs::CoreFigures& c : r.per_core) parts += c.energy_j;
  CHECK(parts == Approx(r.energy_j).epsilon(1e-9));
  double breakdown = 0.0;
  for (const auto& [action, j] : r.energy_breakdown_j) breakdown += j;
  CHECK(breakdown == Approx(r.generation.energy_per_token_j).epsilon(1e-9));
  CHECK(r.per_core.size() == 16);
  CHECK_FALSE(r.per_link.empty());
  REQUIRE(r.hardware.has_value());
  CHECK(r.hardware->neurocores == 16);
  CHECK(r.hardware->chip_leakage_w > 0.0);
}

// A preset chip written into `tmp` with `from` replaced by `to`, `append` added and its table paths
// made absolute.
std::string preset_variant(const neurark_test::TempDir& tmp, const std::string& name, const std::string& from,
                           const std::string& to, const std::string& append) {
  const std::string src = test::source_dir();
  std::string text = test::slurp(src + "/arch/chips/" + name + ".yaml") + append;
  text.replace(text.find(from), from.size(), to);
  for (const std::string dir : {"../energy/", "../technology/"})
    text.replace(text.find(dir), dir.size(), src + "/arch/" + dir.substr(3));
  const std::string chip = tmp.file(name + "-variant.yaml");
  std::ofstream(chip) << text;
  return chip;
}

}  // namespace

TEST_CASE("runs::run (func) gives the report neurark run writes", "[runs]") {
  neurark_test::TempDir tmp;
  const runs::RunOptions o = options("func");
  const runs::RunResult r = runs::run(o);
  check_figures(r, o);
  CHECK_FALSE(r.timed);
  CHECK_FALSE(r.generation.tokens_per_s.has_value());
  CHECK(reports::run_report_json(r) == cli_report(o, tmp));
}

TEST_CASE("runs::run (systemc) gives the report neurark run writes", "[runs][systemc]") {
  neurark_test::TempDir tmp;
  runs::RunOptions o = options("systemc");
  o.record_spans = true;
  const runs::RunResult r = runs::run(o);
  check_figures(r, o);
  REQUIRE(r.timed);
  CHECK(*r.generation.cycles > 0);
  CHECK(r.token_latency_s.size() == static_cast<std::size_t>(r.tokens));
  CHECK_FALSE(r.spans.empty());
  CHECK(*r.generation.tokens_per_s == Approx(r.chip.clock_hz * static_cast<double>(r.generation.tokens) /
                                             static_cast<double>(*r.generation.cycles)));
  CHECK(reports::run_report_json(r) == cli_report(o, tmp));
  // Where the time goes, against the spans summed independently: per phase of the schedule, the
  // generated tokens' span cycles; all phases together, the generation's cycles.
  std::map<std::tuple<int, std::string, int>, int64_t> from_spans;
  for (const sim::PhaseSpan& sp : r.spans)
    if (sp.token >= r.prompt_tokens)
      from_spans[{sp.stage, sp.op, static_cast<int>(sp.kind)}] += sp.end_cycle - sp.start_cycle;
  const auto ng = static_cast<double>(r.generation.tokens);
  REQUIRE(r.phase_latency.size() == from_spans.size());
  double cycles = 0.0, share = 0.0;
  for (const runs::PhaseLatency& p : r.phase_latency) {
    INFO(p.op);
    CHECK(p.cycles_per_token * ng == Approx(static_cast<double>(from_spans.at({p.stage, p.op, static_cast<int>(p.kind)}))));
    double by_unit = 0.0;
    for (const auto& [u, c] : p.bound_cycles_per_token) by_unit += c;
    CHECK(by_unit == Approx(p.cycles_per_token));
    CHECK(p.bound_cycles_per_token.at(p.bound) == Approx(p.bound_share * p.cycles_per_token));
    cycles += p.cycles_per_token;
    share += p.share;
  }
  CHECK(cycles * ng == Approx(static_cast<double>(*r.generation.cycles)));
  CHECK(share == Approx(1.0));
  CHECK_FALSE(r.dram.present);
  CHECK(r.dram.bandwidth_use == 0.0);
}

TEST_CASE("runs::run --check-every: the same figures, the reference run on one token in N or not at all", "[runs][systemc]") {
  runs::RunOptions o = options("systemc");
  const runs::RunResult every = runs::run(o);
  REQUIRE(every.tokens == 11);  // "ROMEO: " (7) + 5 generated - 1
  nlohmann::json want = reports::run_report_json(every);
  CHECK(want.at("cross_check") == nlohmann::json{{"reference", "int"}, {"check_every", 1}, {"tokens_compared", 11}, {"mismatches", 0}});
  for (const int64_t n : {int64_t{4}, int64_t{0}}) {
    INFO("check_every " << n);
    o.check_every = n;
    const runs::RunResult r = runs::run(o);
    CHECK(r.check_every == n);
    CHECK(r.tokens_compared == (n == 0 ? 0 : 3));  // tokens 0, 4, 8
    CHECK(r.reference == (n == 0 ? "none" : "int"));
    nlohmann::json got = reports::run_report_json(r);
    CHECK(got.at("cross_check").at("check_every") == n);
    CHECK(reports::cross_check_words(got.at("cross_check")) ==
          (n == 0 ? "not checked (--check-every 0)" : "3 tokens compared (one in 4, each from the chip's own state), 0 mismatches"));
    got.erase("cross_check");
    nlohmann::json w = want;
    w.erase("cross_check");
    CHECK(got == w);  // every figure of the run, to the bit
  }
  o.check_every = -1;
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--check-every: -1 is out of range"));
}

TEST_CASE("runs::run --streams: independent sequences interleaved through the pipeline", "[runs][systemc]") {
  // The default chip with 64 KB of state memory per neurocore (8 KB holds two streams' MLGRU state).
  neurark_test::TempDir tmp;
  const std::string src = test::source_dir();
  const std::string chip = preset_variant(tmp, "default-4x4", "state_memory_bytes: 8192", "state_memory_bytes: 65536", "");
  runs::RunOptions o = options("systemc");
  o.chip_path = chip;
  o.synthesize_logic = false;
  o.prompt = "ROMEO: what light through";  // 25 bytes: streams of 7, 6, 6, 6 with --streams 4
  o.max_new_tokens = 6;
  o.record_spans = true;
  o.streams = 4;
  const runs::RunResult r = runs::run(o);
  REQUIRE(r.streams == 4);
  REQUIRE(r.per_stream.size() == 4);
  CHECK(r.tokens == 25 + 4 * 5);
  CHECK(r.tokens_compared == r.tokens);  // every token of every stream checked against int
  CHECK(r.generation.tokens == 20);
  // Each stream is the run of its own prompt piece alone: the same generated bytes.
  const std::vector<std::string> pieces = {"ROMEO: ", "what l", "ight t", "hrough"};
  double sum_rate = 0.0;
  for (std::size_t s = 0; s < 4; ++s) {
    INFO("stream " << s);
    runs::RunOptions alone = options("func");
    alone.chip_path = chip;
    alone.synthesize_logic = false;
    alone.prompt = pieces[s];
    alone.max_new_tokens = 6;
    const runs::RunResult a = runs::run(alone);
    CHECK(r.per_stream[s].prompt_tokens == static_cast<int64_t>(pieces[s].size()));
    CHECK(r.per_stream[s].generated_text == a.generated_text);
    sum_rate += r.per_stream[s].tokens_per_s.value();
  }
  CHECK(r.generated_text == r.per_stream[0].generated_text);
  CHECK(sum_rate == Approx(*r.generation.tokens_per_s));
  CHECK(*r.latency_per_token_s == Approx(4.0 / *r.generation.tokens_per_s));
  // A generated token enters the pipeline only after its own stream's previous token has left
  // it (4 tokens earlier), and some enter before the token just ahead of them has left: several
  // streams are in flight at once.
  std::map<int64_t, int64_t> first_start, last_end;
  for (const sim::PhaseSpan& sp : r.spans) {
    auto [it, added] = first_start.try_emplace(sp.token, sp.start_cycle);
    if (!added) it->second = std::min(it->second, sp.start_cycle);
    last_end[sp.token] = std::max(last_end[sp.token], sp.end_cycle);
  }
  int overlapped = 0;
  for (int64_t t = 25 + 4; t < r.tokens; ++t) {
    INFO("token " << t);
    CHECK(first_start.at(t) >= last_end.at(t - 4));
    overlapped += first_start.at(t) < last_end.at(t - 1);
  }
  CHECK(overlapped > 0);
  // One stream against four on the same chip: one token in flight in generation, several.
  o.streams = 1;
  o.record_spans = false;
  const runs::RunResult one = runs::run(o);
  CHECK(*r.generation.tokens_per_s > 2.0 * *one.generation.tokens_per_s);
  CHECK(one.per_stream.size() == 1);
  CHECK(*one.per_stream[0].tokens_per_s == *one.generation.tokens_per_s);
  // Bad input: more streams than prompt bytes; more state than the default chip's neurocores hold.
  o.streams = 26;
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--streams 26: --prompt has 25 bytes"));
  o.streams = 4;
  o.chip_path = src + "/arch/chips/default-4x4.yaml";
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--streams 4: neurocore") && Catch::Contains("state_memory_bytes of chip 'default-4x4' is 8192 B"));
  o.streams = 0;
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--streams: 0 is out of range, expected 1 to 4096"));
}

TEST_CASE("runs::run with sigma-delta events: streams and check-every carry each input's sent codes", "[runs][systemc][events]") {
  neurark_test::TempDir tmp;
  const std::string chip = preset_variant(tmp, "default-4x4", "state_memory_bytes: 8192", "state_memory_bytes: 65536", "");
  runs::RunOptions o = options("systemc");
  o.chip_path = chip;
  o.synthesize_logic = false;
  o.prompt = "ROMEO: what light";  // 17 bytes: streams of 6, 6, 5
  o.max_new_tokens = 5;
  o.events.encoding = arch::EventEncoding::kSigmaDelta;
  o.events.threshold = 1;
  o.streams = 3;
  const runs::RunResult r = runs::run(o);
  REQUIRE(r.per_stream.size() == 3);
  CHECK(r.tokens_compared == r.tokens);  // every token of every stream checked against int (sigma-delta, theta 1)
  CHECK(r.chip.core.events.threshold == 1);
  const std::vector<std::string> pieces = {"ROMEO:", " what ", "light"};
  for (std::size_t s = 0; s < 3; ++s) {
    INFO("stream " << s);
    runs::RunOptions alone = options("func");
    alone.chip_path = chip;
    alone.synthesize_logic = false;
    alone.prompt = pieces[s];
    alone.max_new_tokens = 5;
    alone.events = o.events;
    alone.check_every = 2;  // each checked token from the chip's state, sent codes included
    const runs::RunResult a = runs::run(alone);
    CHECK(a.tokens_compared == (a.tokens + 1) / 2);
    CHECK(r.per_stream[s].generated_text == a.generated_text);
  }
  // The sigma-delta state per stream is counted against the state memory: 64 KB holds 3 streams,
  // the default 8 KB not even one (the compiler says so).
  o.chip_path = test::source_dir() + "/arch/chips/default-4x4.yaml";
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("sigma-delta events' sent codes and accumulators"));
  o.chip_path = chip;
  o.streams = 17;
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--streams 17: neurocore") && Catch::Contains("of recurrent state per stream"));
}

TEST_CASE("runs::run on two chips: chip-to-chip links slow the network and cost their bits", "[runs][systemc]") {
  // tiny-3x2 priced with the default energy table, as one chip of 3 x 2 and as two chips of 3 x 1
  // (one above the other): the same grid, so the same values; the links between the rows are chip
  // links in the second (64-cycle latency, 8-bit: 4 beats per flit), which the placement avoids
  // where it can (compiler::placement_cost), so the traffic differs.
  const std::string src = test::source_dir();
  const std::string base = test::slurp(src + "/tests/fixtures/tiny-3x2.yaml");  // 3 x 2, 32-bit flits, no energy table
  std::string one = base, two = base;
  const std::string table = "  node_nm: 22\n  energy_table: " + src + "/arch/energy/horowitz-45nm.yaml\n";
  for (std::string* t : {&one, &two}) t->replace(t->find("  node_nm: 22\n"), 14, table);
  two.replace(two.find("  height: 2"), 11, "  height: 1");
  two += "multichip:\n  chips_x: 1\n  chips_y: 2\n  link_width_bits: 8\n  link_latency_cycles: 64\n";
  runs::RunOptions o;
  o.model_dir = src + "/tests/fixtures/tiny";
  o.prompt = std::string("\x01\x05\x0b\x02\x13\x07", 6);  // the tiny model reads bytes below 20
  o.max_new_tokens = 4;
  o.synthesize_logic = false;
  o.chip_path = "one-chip.yaml";
  o.chip_text = one;
  const runs::RunResult r1 = runs::run(o);
  o.chip_path = "two-chips.yaml";
  o.chip_text = two;
  const runs::RunResult r2 = runs::run(o);
  REQUIRE(r2.chip.multichip.chips_y == 2);
  CHECK(r2.generated_text == r1.generated_text);
  CHECK(r2.tokens_compared == r2.tokens);  // checked against int on every token
  CHECK(r2.sops_per_token == r1.sops_per_token);
  // The network's energy from the links' flits and the table: a chip-link flit costs its 32 bits x
  // chip_link_bit, an on-chip one a hop (this table's router_flit is 0).
  const arch::EnergyTable t = arch::EnergyTable::from_file(src + "/arch/energy/horowitz-45nm.yaml").at_supply(22, 0.0);
  REQUIRE(t.pj("router_flit") == 0.0);
  int64_t chip_flits = 0;
  double network_pj = 0.0;
  for (const runs::LinkFigures& b : r2.per_link) {
    CHECK(b.chip_link == (b.direction == arch::Direction::kNorth || b.direction == arch::Direction::kSouth));
    if (b.chip_link) chip_flits += b.flits;
    network_pj += static_cast<double>(b.flits) * (b.chip_link ? 32 * t.pj("chip_link_bit") : t.pj("link_flit_hop"));
  }
  for (const runs::LinkFigures& a : r1.per_link) CHECK_FALSE(a.chip_link);
  REQUIRE(chip_flits > 0);  // the model spans both rows
  // The flit engine times the same run with the chip links flit by flit: the same text, checked,
  // the same flits on every link; slower than one chip too.
  runs::RunOptions flit = o;
  flit.chip_text = two + "";
  flit.chip_text->replace(flit.chip_text->find("noc:\n"), 5, "noc:\n  engine: flit\n");
  const runs::RunResult rf = runs::run(flit);
  CHECK(rf.generated_text == r1.generated_text);
  CHECK(rf.tokens_compared == rf.tokens);
  REQUIRE(rf.per_link.size() == r2.per_link.size());
  for (std::size_t l = 0; l < rf.per_link.size(); ++l) CHECK(rf.per_link[l].flits == r2.per_link[l].flits);
  CHECK(*rf.generation.cycles > *r1.generation.cycles);
  CHECK(r2.network.energy_j == Approx(network_pj * 1e-12).epsilon(1e-9));
  // Slower: every token's traffic between the rows waits the chip links' latency and beats.
  CHECK(*r2.generation.cycles > *r1.generation.cycles);
  CHECK(*r2.prefill.cycles > *r1.prefill.cycles);
  // Per chip: the neurocores of rows 0 and 1, and the chip links apart, add up to the run's energy.
  CHECK_FALSE(r1.multichip.has_value());
  REQUIRE(r2.multichip.has_value());
  REQUIRE(r2.multichip->per_chip.size() == 2);
  CHECK(r2.multichip->chip_link_flits == chip_flits);
  double chips_j = r2.multichip->chip_link_energy_j + r2.network.injection_energy_j, row0_j = 0.0;
  for (const runs::ChipFigures& c : r2.multichip->per_chip) chips_j += c.energy_j;
  CHECK(chips_j == Approx(r2.energy_j).epsilon(1e-9));
  for (const runs::CoreFigures& c : r2.per_core) row0_j += c.y == 0 ? c.energy_j : 0.0;
  CHECK(r2.multichip->per_chip[0].energy_j >= row0_j);
  CHECK(r2.multichip->per_chip[0].cores_used + r2.multichip->per_chip[1].cores_used == r2.cores_used);
  CHECK(r2.multichip->chip_link_energy_share == Approx(r2.multichip->chip_link_energy_j / r2.energy_j));
  // Time: every phase timed again with its chip links as on-chip links; the slow links add cycles.
  REQUIRE(r2.multichip->chip_link_phase_cycles.has_value());
  CHECK(*r2.multichip->chip_link_phase_cycles > 0);
  CHECK(*r2.multichip->chip_link_time_share > 0.0);
  CHECK(*r2.multichip->chip_link_time_share < 1.0);
  // Chip links exactly like the mesh's (32 bits, this chip's 1-cycle latency, its buffers) add nothing.
  runs::RunOptions same = o;
  same.chip_text = two;
  const std::string slow = "  link_width_bits: 8\n  link_latency_cycles: 64\n";
  same.chip_text->replace(same.chip_text->find(slow), slow.size(), "  link_width_bits: 32\n  link_latency_cycles: 1\n");
  const runs::RunResult rs = runs::run(same);
  REQUIRE(rs.multichip.has_value());
  CHECK(rs.chip.multichip.link_latency_cycles == rs.chip.noc.link_latency_cycles);
  CHECK(rs.multichip->chip_link_phase_cycles == int64_t{0});
  CHECK(rs.multichip->chip_link_time_share == 0.0);
  // Chip-to-chip ports (multichip.ports_per_edge): three ports per edge (one per border router) are
  // the run without ports to the cycle; so is one port per edge of 3 routers each way here, since
  // this model's traffic between the rows takes one link each way (0 -> 3 and 4 -> 1): no two links
  // share a port (the engines' tests time a shared port by hand). On both engines.
  for (const char* engine : {"", "  engine: flit\n"}) {
    CAPTURE(engine);
    runs::RunOptions ported = o;
    std::string text = two;
    text.replace(text.find("noc:\n"), 5, std::string("noc:\n") + engine);
    const runs::RunResult plain = engine[0] == '\0' ? r2 : rf;
    ported.chip_text = text + "  ports_per_edge: 3\n";
    const runs::RunResult p3 = runs::run(ported);
    CHECK(*p3.generation.cycles == *plain.generation.cycles);
    CHECK(*p3.prefill.cycles == *plain.prefill.cycles);
    ported.chip_text = text + "  ports_per_edge: 1\n";
    const runs::RunResult p1 = runs::run(ported);
    CHECK(p1.generated_text == plain.generated_text);
    CHECK(p1.tokens_compared == p1.tokens);
    CHECK(p1.sops_per_token == plain.sops_per_token);
    CHECK(p1.network.energy_j == plain.network.energy_j);
    CHECK(p1.multichip->chip_link_flits == plain.multichip->chip_link_flits);
    for (const runs::LinkFigures& l : p1.per_link)
      if (l.chip_link && l.flits > 0) CHECK(((l.from_core == 0 && l.to_core == 3) || (l.from_core == 4 && l.to_core == 1)));
    CHECK(*p1.generation.cycles == *plain.generation.cycles);
    CHECK(*p1.prefill.cycles == *plain.prefill.cycles);
  }
}

TEST_CASE("runs::run (systemc): DRAM bandwidth use when weights stream from DRAM", "[runs][systemc]") {
  // The edge chip with DRAM (its 4 x 64 KB of SRAM cannot hold the model): tiles stream from DRAM.
  neurark_test::TempDir tmp;
  const std::string chip = preset_variant(tmp, "edge-2x2", "state_memory_bytes: 4096", "state_memory_bytes: 16384",
                                          "dram:\n  present: true\n  bytes: 1073741824\n");
  runs::RunOptions o = options("systemc");
  o.chip_path = chip;
  o.max_new_tokens = 3;
  const runs::RunResult r = runs::run(o);
  REQUIRE(r.dram.present);
  CHECK(r.dram.bandwidth_bits_per_cycle == 128);
  int64_t run_words = 0;  // the whole run's, prompt included
  for (const runs::CoreFigures& c : r.per_core) run_words += c.activity.dram_words;
  const double ng = static_cast<double>(r.generation.tokens);
  CHECK(r.dram.words_per_token > 0.0);
  CHECK(r.dram.words_per_token * ng < static_cast<double>(run_words));
  CHECK(r.dram.bits_per_token == r.dram.words_per_token * 32);  // 32-bit SRAM port words
  const double cycles_per_token = static_cast<double>(*r.generation.cycles) / ng;
  CHECK(*r.dram.bandwidth_use == Approx(r.dram.bits_per_token / (128 * cycles_per_token)));
  CHECK(*r.dram.bandwidth_use > 0.0);
  CHECK(*r.dram.bandwidth_use < 1.0);
}

TEST_CASE("reports::write_run_report takes a report.json from before phase_latency, dram and chip.parameters", "[runs]") {
  neurark_test::TempDir tmp;
  nlohmann::json j = reports::run_report_json(runs::run(options("func")));
  REQUIRE(j.contains("dram"));
  REQUIRE(j.at("chip").contains("parameters"));
  CHECK(j.at("phase_latency").is_null());  // untimed
  reports::write_run_report(tmp.file("new"), j);
  const std::string html = test::slurp(tmp.file("new") + "/report.html");
  for (const char* id : {"summary", "dram", "energy", "mesh", "chip", "area"})
    CHECK_THAT(html, Catch::Contains(std::string("<section id=\"") + id + "\">"));
  CHECK_THAT(html, !Catch::Contains("<section id=\"time\">") && !Catch::Contains("<section id=\"latency\">"));
  j.erase("phase_latency");
  j.erase("dram");
  j.at("chip").erase("parameters");
  reports::write_run_report(tmp.file("old"), j);
  const std::string old_html = test::slurp(tmp.file("old") + "/report.html");
  CHECK_THAT(old_html, Catch::Contains("<section id=\"summary\">") && Catch::Contains("<section id=\"mesh\">"));
  CHECK_THAT(old_html, !Catch::Contains("<section id=\"dram\">") && !Catch::Contains("<section id=\"chip\">"));
}

TEST_CASE("runs::run refuses bad options before any work, naming the option", "[runs]") {
  runs::RunOptions o = options("func");
  o.max_new_tokens = 1;
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--max-new-tokens: 1 is out of range"));
  o = options("int");
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--backend int: a run needs a chip backend (func, systemc)"));
  o = options("func");
  o.prompt.clear();
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--prompt: empty"));
  o = options("func");
  o.vcd_core = runs::CoreXY{1, 1};
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--vcd: needs --backend systemc"));
  o = options("func");
  o.chip_path = "/no/such/chip.yaml";
  CHECK_THROWS_WITH(runs::run(o), Catch::Contains("--chip /no/such/chip.yaml: does not exist"));
}

TEST_CASE("runs::run with the chip given as text (RunOptions::chip_text) gives the file's figures, its name in chip.file", "[runs]") {
  const runs::RunOptions by_file = options("func");
  runs::RunOptions by_text = options("func");
  // The text as JSON (what the Python module passes for a dict), read as if from a file that
  // does not exist: table paths in it are absolute, so nothing resolves from that name.
  by_text.chip_path = "<chip dict>";
  by_text.chip_text = R"({"format": "neurark-chip", "version": 1, "name": "default-4x4", "clock_hz": 500000000.0,
    "technology": {"node_nm": 22, "energy_table": ")" + test::source_dir() + R"(/arch/energy/horowitz-45nm.yaml",
                   "cost_table": ")" + test::source_dir() + R"(/arch/technology/cmos-lp.yaml",
                   "operating_points": {"0.6": 310e6, "0.7": 412e6, "0.8": 500e6, "0.9": 577e6}},
    "mesh": {"width": 4, "height": 4},
    "neurocore": {"lanes": 16, "synapse_sram_bytes": 65536, "sram_port_bits": 64, "accumulators": 1024,
                  "state_memory_bytes": 8192, "input_fifo_depth": 64, "output_fifo_depth": 64,
                  "weight_encoding": "packed2", "activation_bits": 8},
    "noc": {"link_width_bits": 64, "router_latency_cycles": 2, "link_latency_cycles": 1, "flow_control": "credit",
            "buffer_depth_flits": 4},
    "host": {"injection_bits_per_cycle": 64, "readback_bits_per_cycle": 64, "attach_x": 0, "attach_y": 0}})";
  nlohmann::json want = reports::run_report_json(runs::run(by_file));
  nlohmann::json got = reports::run_report_json(runs::run(by_text));
  CHECK(got["chip"]["file"] == "<chip dict>");
  CHECK(want["chip"]["file"] == by_file.chip_path);
  want["chip"].erase("file");
  got["chip"].erase("file");
  // The tables as each description names them (relative in the file, absolute in the text): the same files.
  for (const char* table : {"energy_table", "cost_table"}) {
    nlohmann::json& w = want["chip"]["parameters"]["technology"];
    nlohmann::json& g = got["chip"]["parameters"]["technology"];
    CHECK(std::filesystem::equivalent(std::filesystem::path(by_file.chip_path).parent_path() / w.at(table).get<std::string>(),
                                      g.at(table).get<std::string>()));
    w.erase(table);
    g.erase(table);
  }
  CHECK(got == want);
  CHECK(got["energy_per_token_j"].get<double>() > 0.0);
  // A bad text is the chip reader's error, naming the text's name.
  by_text.chip_text = R"({"format": "neurark-chip", "version": 1, "name": "x"})";
  CHECK_THROWS_WITH(runs::run(by_text), Catch::StartsWith("<chip dict>"));
}

TEST_CASE("runs::eval on int and func: the same bits per byte, the chip's activity on func", "[runs]") {
  runs::EvalOptions e;
  e.source.model_dir = test::default_model_dir();
  e.text_path = test::heldout_path();
  e.max_bytes = 120;
  e.source.backend = "int";
  const runs::EvalRun a = runs::eval(e);
  e.source.backend = "func";
  e.source.chip_path = test::source_dir() + "/arch/chips/default-4x4.yaml";
  const runs::EvalRun b = runs::eval(e);
  CHECK(a.result.bits_per_byte == b.result.bits_per_byte);
  REQUIRE(a.activity.has_value());
  REQUIRE(b.activity.has_value());
  CHECK(a.activity->weight_sparsity.has_value());
  CHECK_FALSE(a.activity->chip);
  CHECK(b.activity->chip);
  CHECK(a.activity->events == b.activity->events);               // counted by the reference and by the image
  CHECK(a.activity->synaptic_ops == b.activity->synaptic_ops);
  REQUIRE(b.activity->dynamic_energy_pj.has_value());
  double sum = 0.0;
  for (const auto& [k, pj] : b.activity->dynamic_energy_breakdown_pj) sum += pj;
  CHECK(sum == Approx(*b.activity->dynamic_energy_pj));
  CHECK_FALSE(b.activity->leakage_energy_pj.has_value());        // untimed
}
