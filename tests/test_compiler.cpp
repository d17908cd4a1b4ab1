// SPDX-License-Identifier: Apache-2.0
// The compiler: each pass on a tiny model (dump compared with tests/passes/*.expected, plus facts
// derived by hand), the bundled model on the presets (fit, refusal, placement, determinism).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/compiler/inspect.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/models/synth.hpp"
#include "test_paths.hpp"

using namespace neurark;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

arch::ChipDescription preset(const std::string& name) {
  return arch::ChipDescription::from_file(test::source_dir() + "/arch/chips/" + name + ".yaml");
}

std::shared_ptr<const models::Checkpoint> bundled() {
  static const auto w = std::make_shared<const models::Checkpoint>(models::Checkpoint::open(test::default_model_dir()));
  return w;
}

std::string tiny_dir() { return test::source_dir() + "/tests/fixtures/tiny"; }
std::string tiny_chip_path() { return test::source_dir() + "/tests/fixtures/tiny-3x2.yaml"; }

compiler::Graph compile_until(std::shared_ptr<const models::Checkpoint> w, const arch::ChipDescription& chip,
                              const std::string& stop, uint64_t seed = 1) {
  compiler::CompileOptions opt;
  opt.stop_after = stop;
  opt.seed = seed;
  return compiler::compile_graph(std::move(w), chip, "", opt);
}

compiler::Graph tiny_until(const std::string& stop) {
  const auto w = std::make_shared<const models::Checkpoint>(models::Checkpoint::open(tiny_dir()));
  return compile_until(w, arch::ChipDescription::from_file(tiny_chip_path()), stop);
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("neurark-test-compiler-" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

// MLIR-style pass tests: input (tests/fixtures/tiny on tests/fixtures/tiny-3x2.yaml), the
// pipeline up to PASS, and the expected dump tests/passes/NN-PASS.expected. Regenerate after a
// deliberate change with NEURARK_UPDATE_EXPECTED=1 and review the diff.
TEST_CASE("each pass's dump on the tiny model matches tests/passes", "[compiler][passes]") {
  const auto& names = compiler::pipeline_names();
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {  // emit writes a file: tested below
    const std::string pass = names[i];
    SECTION(pass) {
      const std::string got = compiler::dump(tiny_until(pass));
      const std::string num = (i < 10 ? "0" : "") + std::to_string(i);
      const std::string path = test::source_dir() + "/tests/passes/" + num + "-" + pass + ".expected";
      if (std::getenv("NEURARK_UPDATE_EXPECTED") != nullptr) std::ofstream(path, std::ios::binary) << got;
      REQUIRE(fs::exists(path));
      CHECK(got == test::slurp(path));
    }
  }
}

TEST_CASE("import builds the HGRNBit layer structure", "[compiler][passes]") {
  const compiler::Graph g = tiny_until("import");
  // embedding; per layer attn_norm, i/f/g_proj, recurrence, g_norm gate, o_proj, add, mlp_norm,
  // gate_proj, swiglu, down_proj, add (13); final norm, lm_head.
  CHECK(g.ops.size() == 1 + 2 * 13 + 2);
  for (const compiler::Op& op : g.ops) CHECK_FALSE(op.kind.is_integer());
  CHECK(g.ops[2].name == "model.layers.0.attn.i_proj");
  CHECK(g.ops[2].source.at("weight") == "model.layers.0.attn.i_proj.weight");
  CHECK(g.tensors[static_cast<std::size_t>(g.logits)].length == 20);
  CHECK(g.constants.empty());
}

TEST_CASE("import names the model after its folder, however the path is spelled", "[compiler][passes]") {
  for (const std::string& dir : {tiny_dir(), tiny_dir() + "/", tiny_dir() + "/."}) {
    const auto w = std::make_shared<const models::Checkpoint>(models::Checkpoint::open(dir));
    CHECK(compile_until(w, arch::ChipDescription::from_file(tiny_chip_path()), "import").model_name == "tiny");
  }
}

TEST_CASE("lower and fold give integer ops with the integer reference's constants", "[compiler][passes]") {
  const compiler::Graph g = tiny_until("fold");
  int bitlinears = 0, products = 0, silus = 0;
  for (const compiler::Op& op : g.ops) {
    CHECK(op.kind.is_integer());
    bitlinears += op.kind == arch::OpKind::kBitLinear;
    products += op.kind == arch::OpKind::kProduct;
    silus += op.kind == arch::OpKind::kSilu;
  }
  CHECK(bitlinears == 2 * 6 + 1);
  CHECK(products == 2 * 2);  // output gate and GLU in each layer
  CHECK(silus == 2);
  // The GLU reads the two halves of gate_proj's output.
  const compiler::Op& prod = g.ops[13];
  REQUIRE(prod.kind == arch::OpKind::kProduct);
  CHECK(prod.inputs[1].offset == 12);
  CHECK(prod.inputs[1].length == 12);
  // Constants equal IntModel::prepare's (the integer reference's own preparation).
  const models::IntModel ref = models::IntModel::prepare(models::HGRNBitWeights::load(tiny_dir()));
  const compiler::Op& i_proj = g.ops[2];
  std::vector<int8_t> rows;
  compiler::ternary_rows(g, i_proj, 0, i_proj.out, rows);
  CHECK(rows == ref.layers[0].i_proj.unpacked());
  const compiler::Op& lm = g.ops.back();
  compiler::ternary_rows(g, lm, 3, 9, rows);
  const std::vector<int8_t> lm_w = ref.lm_head.unpacked();
  CHECK(rows == std::vector<int8_t>(lm_w.begin() + 3 * lm.in, lm_w.begin() + 9 * lm.in));
  for (int64_t r = 0; r < lm.out; ++r) {
    int32_t nz = 0;
    for (int64_t k = 0; k < lm.in; ++k) nz += lm_w[static_cast<std::size_t>(r * lm.in + k)] != 0;
    CHECK(lm.row_nnz[static_cast<std::size_t>(r)] == nz);
  }
  CHECK(g.constants[static_cast<std::size_t>(i_proj.consts.at("norm"))].i32 == ref.layers[0].i_proj.norm_mant);
  CHECK(i_proj.layer_c == ref.layers[0].i_proj.layer_c);
  std::vector<int32_t> table;
  compiler::embedding_rows(g, 0, g.config.vocab_size, table);
  CHECK(table == ref.embeddings_q16);
  // Lazy constants hold no values.
  CHECK(g.constants[static_cast<std::size_t>(i_proj.consts.at("weight"))].lazy);
  CHECK(g.constants[static_cast<std::size_t>(i_proj.consts.at("weight"))].i8.empty());
}

TEST_CASE("partition cuts tiles by accumulators and SRAM, by hand", "[compiler][passes]") {
  const compiler::Graph g = tiny_until("partition");
  // 8 accumulators: lm_head's 20 rows -> 3 equal tiles of ceil(20 / 3) = 7 rows.
  const compiler::Op& lm = g.ops.back();
  REQUIRE(lm.tiles.size() == 3);
  CHECK(g.tiles[static_cast<std::size_t>(lm.tiles[0])].row_end == 7);
  CHECK(g.tiles[static_cast<std::size_t>(lm.tiles[1])].row_end == 14);
  CHECK(g.tiles[static_cast<std::size_t>(lm.tiles[2])].row_end == 20);
  // packed2, column-major: K * ceil(rows / 4) bytes. down_proj: 12 columns x 2 bytes.
  const compiler::Op& down = g.ops[14];
  REQUIRE(down.name == "model.layers.0.mlp.down_proj");
  CHECK(g.tiles[static_cast<std::size_t>(down.tiles[0])].weight_bytes == 24);
  CHECK(g.tiles[static_cast<std::size_t>(lm.tiles[2])].weight_bytes == 8 * 2);
  // Neuron memory of down_proj's tile: 8 (C) + the channels homed there: x.1 feeds layer 1's
  // attn_norm (4 B each: int32 mantissas) and, through it, i/f/g_proj's input quantization (3 x 4 B each).
  CHECK(g.tiles[static_cast<std::size_t>(down.tiles[0])].neuron_bytes == 8 + 8 * 4 + 3 * 8 * 4);
  // Every tile has a core; no core over its 64 B of SRAM.
  std::vector<int64_t> used(6, 0);
  for (const compiler::Tile& t : g.tiles) {
    REQUIRE(t.core >= 0);
    used[static_cast<std::size_t>(t.core)] += t.weight_bytes;
  }
  for (int64_t u : used) CHECK(u <= 64);
}

TEST_CASE("place never raises the traffic cost and is deterministic for a seed", "[compiler][passes]") {
  const auto chip = preset("default-4x4");
  const compiler::Graph first_fit = compile_until(bundled(), chip, "partition");
  const compiler::Graph placed = compile_until(bundled(), chip, "place", 1);
  const int64_t before = compiler::traffic_cost(first_fit), after = compiler::traffic_cost(placed);
  CHECK(after < before);
  const compiler::Graph again = compile_until(bundled(), chip, "place", 1);
  for (std::size_t t = 0; t < placed.tiles.size(); ++t) CHECK(again.tiles[t].core == placed.tiles[t].core);
  std::vector<int64_t> used(16, 0);
  for (const compiler::Tile& t : placed.tiles) used[static_cast<std::size_t>(t.core)] += t.weight_bytes;
  for (int64_t u : used) CHECK(u <= chip.core.synapse_sram_bytes);
}

TEST_CASE("place keeps traffic off chip-to-chip links where it can", "[compiler][passes]") {
  // The default chip as one 4 x 4 chip and as two 2 x 4 chips with slow links (50 cycles, 16 bits):
  // the same grid, memories and first fit; only the second placement knows the chip border.
  const auto one = preset("default-4x4");
  auto two = one;
  two.mesh_width = 2;
  two.multichip.chips_x = 2;
  two.multichip.link_width_bits = 16;
  two.multichip.link_latency_cycles = 50;
  // (50 + 4 - 1 - 1) extra cycles over a 3-cycle hop: 18 hops more per chip link crossed.
  CHECK(compiler::chip_link_extra_hops(one) == 0);
  CHECK(compiler::chip_link_extra_hops(two) == 18);
  const compiler::Graph unaware = compile_until(bundled(), one, "place", 1);
  const compiler::Graph aware = compile_until(bundled(), two, "place", 1);
  CHECK(compiler::placement_cost(unaware) == compiler::traffic_cost(unaware));  // one chip: hops only
  // The unaware placement's tiles on the two-chip system.
  compiler::Graph as_two = aware;
  REQUIRE(as_two.tiles.size() == unaware.tiles.size());
  for (std::size_t t = 0; t < as_two.tiles.size(); ++t) as_two.tiles[t].core = unaware.tiles[t].core;
  const auto crossing_channels = [](const compiler::Graph& g) {
    return (compiler::placement_cost(g) - compiler::traffic_cost(g)) / compiler::chip_link_extra_hops(g.chip);
  };
  INFO("channels over chip links per token: aware " << crossing_channels(aware) << ", unaware " << crossing_channels(as_two));
  CHECK(crossing_channels(aware) < crossing_channels(as_two));
  CHECK(compiler::placement_cost(aware) < compiler::placement_cost(as_two));
}

TEST_CASE("route builds XY trees between mesh neighbours", "[compiler][passes]") {
  const compiler::Graph g = tiny_until("route");
  const arch::MeshGrid grid = arch::MeshGrid::of(g.chip);
  REQUIRE_FALSE(g.flows.empty());
  for (const compiler::Flow& f : g.flows) {
    for (const auto& [a, b] : f.links) CHECK(grid.hops(a, b) == 1);
    // A unicast flow's tree is exactly its XY path.
    if (f.dst_cores.size() == 1 && f.src_core >= 0 && f.dst_cores[0] >= 0)
      CHECK(static_cast<int64_t>(f.links.size()) == grid.hops(f.src_core, f.dst_cores[0]));
  }
  // XY: X first along the source's row, then Y along the destination's column.
  int unicast = 0;
  for (const compiler::Flow& f : g.flows) {
    if (f.dst_cores.size() != 1 || f.src_core < 0 || f.dst_cores[0] < 0) continue;
    ++unicast;
    for (const auto& [a, b] : f.links) {
      if (grid.y(a) == grid.y(b)) CHECK(grid.y(a) == grid.y(f.src_core));
      else CHECK(grid.x(a) == grid.x(f.dst_cores[0]));
    }
  }
  CHECK(unicast > 0);
  // The tiny chip is 3 x 2: cores row-major.
  CHECK(grid.core_at(2, 0) == 2);
  CHECK(grid.x(3) == 0);
  CHECK(grid.y(3) == 1);
}

TEST_CASE("schedule gives every op its phases", "[compiler][passes]") {
  const compiler::Graph g = tiny_until("schedule");
  std::vector<int> phases(g.ops.size(), 0);
  for (const compiler::Phase& p : g.schedule) ++phases[static_cast<std::size_t>(p.op)];
  for (std::size_t i = 0; i < g.ops.size(); ++i) {
    const compiler::OpKind k = g.ops[i].kind;
    const int expect = k == arch::OpKind::kEmbed ? 1
                       : k == arch::OpKind::kBitLinear ? (static_cast<int>(g.ops[i].output) == g.logits ? 4 : 3)
                       : (k == arch::OpKind::kNormScale || k == arch::OpKind::kProduct) ? 2 : 1;
    CHECK(phases[i] == expect);
  }
}

TEST_CASE("compiling twice gives byte-identical images", "[compiler][image]") {
  const fs::path d = temp_dir("twice");
  const auto chip = preset("default-4x4");
  const std::string text = test::slurp(test::source_dir() + "/arch/chips/default-4x4.yaml");
  compiler::CompileOptions opt;
  for (const char* name : {"a.nimg", "b.nimg"}) {
    const compiler::Graph g = compiler::compile_graph(bundled(), chip, text, opt);
    compiler::emit(g, (d / name).string());
  }
  const std::string a = test::slurp((d / "a.nimg").string()), b = test::slurp((d / "b.nimg").string());
  REQUIRE(a.size() > 600000);  // at least the 671,744 bytes of 2-bit weights ... in blobs
  CHECK(a == b);
  const arch::Image img = arch::Image::open((d / "a.nimg").string());
  const nlohmann::json s = compiler::inspect_summary(img);
  CHECK(s["weight_bytes"].get<int64_t>() == 671744);
  CHECK(s["tiles"].get<int64_t>() == 25);
  fs::remove_all(d);
}

TEST_CASE("the bundled model fits the default chip", "[compiler]") {
  const auto chip = preset("default-4x4");
  const compiler::Graph g = compile_until(bundled(), chip, "partition");
  const auto& c = bundled()->config;
  const int64_t d = c.hidden_size, in = c.intermediate_size, v = c.vocab_size;
  // packed2: K * ceil(rows / 4) bytes per BitLinear (one tile each here).
  const int64_t expect = c.num_hidden_layers * (4 * d * (d / 4) + d * (2 * in / 4) + in * (d / 4)) + d * (v / 4);
  int64_t total = 0;
  for (const compiler::Tile& t : g.tiles) {
    total += t.weight_bytes;
    CHECK_FALSE(t.in_dram);
    CHECK(t.row_end - t.row_begin <= chip.core.accumulators);
  }
  CHECK(total == expect);
}

TEST_CASE("the smallest preset refuses the bundled model, says what would fit, writes nothing", "[compiler]") {
  const auto chip = preset("edge-2x2");
  CHECK_THROWS_WITH(compile_until(bundled(), chip, ""),
                    Contains("model does not fit chip 'edge-2x2'") && Contains("edge-2x2.yaml") && Contains("need") &&
                        Contains("the chip has 262144 bytes (4 neurocores x 65536 bytes)") &&
                        Contains("a mesh of at least") && Contains("neurocore.synapse_sram_bytes") &&
                        Contains("dram.present: true") && Contains("neurocore.state_memory_bytes"));
  // Through the command line: exit 1 and no image, no temporary file.
  const fs::path d = temp_dir("nofit");
  const std::string out = (d / "x.nimg").string();
  const std::string cmd = std::string(NEURARK_CLI) + " compile --model " + test::default_model_dir() + " --chip " +
                          test::source_dir() + "/arch/chips/edge-2x2.yaml -o " + out + " >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  CHECK(WEXITSTATUS(rc) == 1);
  CHECK(fs::is_empty(d));
  fs::remove_all(d);
}

TEST_CASE("with DRAM, tiles that find no SRAM stream from DRAM", "[compiler]") {
  auto chip = preset("edge-2x2");
  chip.core.state_memory_bytes = 16384;  // 4 KB holds too few channels' norm constants and state
  chip.dram.present = true;
  chip.dram.bytes = 1 << 30;
  const compiler::Graph g = compile_until(bundled(), chip, "place");
  int64_t dram = 0, total = 0;
  for (const compiler::Tile& t : g.tiles) {
    total += t.weight_bytes;
    if (t.in_dram) dram += t.weight_bytes;
    CHECK(t.core >= 0);  // DRAM tiles still accumulate on a neurocore
  }
  CHECK(dram > 0);
  CHECK(dram + 4 * 65536 >= total);
  chip.dram.bytes = 1000;
  CHECK_THROWS_WITH(compile_until(bundled(), chip, "partition"), Contains("spill to DRAM") && Contains("dram.bytes"));
}

TEST_CASE("a state memory too small for a tile's channels is refused by name", "[compiler]") {
  auto chip = preset("default-4x4");
  chip.core.state_memory_bytes = 100;
  CHECK_THROWS_WITH(compile_until(bundled(), chip, "partition"),
                    Contains("neuron state memory") && Contains("neurocore.state_memory_bytes"));
}

TEST_CASE("a BitLinear wider than an event packet's channel field is refused at compile time", "[compiler]") {
  // d = 1 and intermediate_size 70,000: down_proj has 70,000 inputs, beyond the 2^16 channels an
  // event names (it once compiled, then --record-core died packing an event).
  const fs::path d = temp_dir("wide");
  models::HGRNBitConfig cfg;
  cfg.hidden_size = 1;
  cfg.intermediate_size = 70000;
  cfg.num_hidden_layers = 1;
  cfg.vocab_size = 4;
  models::SynthOptions so;
  so.dtype = "F32";
  models::synth_checkpoint(cfg, (d / "m").string(), so);
  const auto ck = std::make_shared<const models::Checkpoint>(models::Checkpoint::open((d / "m").string()));
  CHECK_THROWS_WITH(compile_until(ck, preset("default-4x4"), "partition"),
                    Contains("model.layers.0.mlp.down_proj: fan-in 70000 exceeds the 65536 input channels an event packet "
                             "can name"));
  fs::remove_all(d);
}

TEST_CASE("an unknown pass name is refused", "[compiler]") {
  compiler::CompileOptions opt;
  opt.dump_after = {"plase"};
  CHECK_THROWS_WITH(compiler::compile_graph(bundled(), preset("default-4x4"), "", opt),
                    Contains("--dump-after: unknown pass 'plase'") && Contains("place"));
}

TEST_CASE("the image's routing tables deliver every flow to exactly its destinations", "[compiler][image]") {
  const fs::path d = temp_dir("routing");
  const std::string path = (d / "t.nimg").string();
  compiler::Graph g = tiny_until("");
  compiler::emit(g, path);
  const arch::Image img = arch::Image::open(path);
  const nlohmann::json& m = img.manifest();
  std::map<std::pair<int, int>, int> table;  // (core, flow) -> mask
  for (const auto& r : m["routing"])
    for (const auto& e : r["entries"]) table[{r["core"].get<int>(), e[0].get<int>()}] = e[1].get<int>();
  const arch::MeshGrid grid = arch::MeshGrid::of(g.chip);
  const int host_core = grid.host_core();
  for (std::size_t f = 0; f < g.flows.size(); ++f) {
    const compiler::Flow& fl = g.flows[f];
    // Walk the tables from the source router; collect where flits are delivered.
    std::set<int> delivered, seen;
    std::vector<int> todo = {fl.src_core == -2 ? host_core : fl.src_core};
    while (!todo.empty()) {
      const int c = todo.back();
      todo.pop_back();
      if (!seen.insert(c).second) continue;
      auto it = table.find({c, static_cast<int>(f)});
      REQUIRE(it != table.end());
      const int64_t x = grid.x(c), y = grid.y(c);
      if (it->second & 1) todo.push_back(grid.core_at(x + 1, y));
      if (it->second & 2) todo.push_back(grid.core_at(x - 1, y));
      if (it->second & 4) todo.push_back(grid.core_at(x, y + 1));
      if (it->second & 8) todo.push_back(grid.core_at(x, y - 1));
      if (it->second & 16) delivered.insert(c);
    }
    std::set<int> expect;
    for (int dcore : fl.dst_cores) expect.insert(dcore == -2 ? host_core : dcore);
    INFO("flow " << f);
    CHECK(delivered == expect);
    CHECK(seen.size() == fl.links.size() + 1);  // a tree: one router more than links
  }
  fs::remove_all(d);
}
