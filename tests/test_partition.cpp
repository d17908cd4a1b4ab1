// Partition and packing: tile sizes by hand, the bundled model on the presets, the refusal message.
#include <catch2/catch.hpp>

#include "neurark/arch/chip.hpp"
#include "neurark/compiler/partition.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"
#include "test_paths.hpp"

using namespace neurark;
using Catch::Contains;

namespace {
arch::ChipDescription preset(const std::string& name) {
  return arch::ChipDescription::from_file(test::source_dir() + "/arch/chips/" + name + ".yaml");
}
const models::IntModel& bundled() {
  static const models::IntModel m = models::IntModel::prepare(models::HGRNBitWeights::load(test::default_model_dir()));
  return m;
}
}  // namespace

TEST_CASE("tile bytes in both encodings, by hand", "[partition]") {
  models::IntBitLinear w;
  w.in = 10;
  w.out = 2;
  w.w_t = {1, 0, -1, 0, 0, 0, 1, 1, 0, 0,    // 4 non-zeros
           0, 0, 0, 0, 0, 0, 0, 0, 0, -1};   // 1 non-zero
  arch::NeurocoreParams core;
  core.sparse_index_bits = 15;  // 16 bits per non-zero with the sign
  CHECK(compiler::tile_bytes(w, 0, 2, core, arch::WeightEncoding::kPacked2) == 2 * 3);  // ceil(20 / 8)
  CHECK(compiler::tile_bytes(w, 0, 1, core, arch::WeightEncoding::kSparse) == 8);
  CHECK(compiler::tile_bytes(w, 1, 2, core, arch::WeightEncoding::kSparse) == 2);
}

TEST_CASE("the bundled model fits the default chip", "[partition]") {
  const auto chip = preset("default-4x4");
  const compiler::Partition p = compiler::partition_and_pack(bundled(), chip);
  const auto& c = bundled().config;
  // packed2: every BitLinear costs rows * ceil(2K / 8) bytes.
  const int64_t d = c.hidden_size, in = c.intermediate_size, v = c.vocab_size;
  const int64_t expect = c.num_hidden_layers * (4 * d * (d / 4) + 2 * in * (d / 4) + d * (in / 4)) + v * (d / 4);
  CHECK(p.weight_bytes == expect);
  CHECK(p.dram_bytes == 0);
  CHECK(p.cores_used <= 16);
  for (int64_t u : p.core_bytes_used) CHECK(u <= chip.core.synapse_sram_bytes);
  for (const auto& t : p.tiles) {
    CHECK(t.core >= 0);
    CHECK(t.row_end - t.row_begin <= chip.core.accumulators);
  }
  // Deterministic: the same inputs give the same placement.
  const compiler::Partition q = compiler::partition_and_pack(bundled(), chip);
  REQUIRE(q.tiles.size() == p.tiles.size());
  for (std::size_t i = 0; i < p.tiles.size(); ++i) CHECK(q.tiles[i].core == p.tiles[i].core);
}

TEST_CASE("the smallest preset refuses the bundled model and says what would make it fit", "[partition]") {
  const auto chip = preset("edge-2x2");
  CHECK_THROWS_WITH(compiler::partition_and_pack(bundled(), chip),
                    Contains("model does not fit chip 'edge-2x2'") && Contains("edge-2x2.yaml") &&
                        Contains("need") && Contains("the chip has 262144 bytes (4 neurocores x 65536 bytes)") &&
                        Contains("a mesh of at least") && Contains("neurocore.synapse_sram_bytes") &&
                        Contains("dram.present: true"));
}

TEST_CASE("with DRAM, what does not fit spills to DRAM", "[partition]") {
  auto chip = preset("edge-2x2");
  chip.dram.present = true;
  chip.dram.bytes = 1 << 30;
  const compiler::Partition p = compiler::partition_and_pack(bundled(), chip);
  CHECK(p.dram_bytes > 0);
  CHECK(p.dram_bytes + 4 * 65536 >= p.weight_bytes);
  chip.dram.bytes = 1000;
  CHECK_THROWS_WITH(compiler::partition_and_pack(bundled(), chip), Contains("spill to DRAM") && Contains("dram.bytes"));
}
