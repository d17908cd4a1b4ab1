// SPDX-License-Identifier: Apache-2.0
// Synthetic HGRNBit checkpoints: see neurark/models/synth.hpp.
#include "neurark/models/synth.hpp"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/error.hpp"
#include "neurark/models/checkpoint.hpp"

namespace neurark::models {

namespace {

namespace fs = std::filesystem;

// |Z|^p with this p makes P(|W| < mean|W| / 2) = 0.354 for W = sign(Z)|Z|^p, Z ~ N(0,1):
// the measured zero fraction of MMfreeLM-370M's ternary weights (solved by bisection with
// E|Z|^p = 2^(p/2) Gamma((p+1)/2) / sqrt(pi)).
constexpr double kWeightPower = 1.1623602361210674;

enum class Kind { kBitLinear, kNorm, kEmbedding, kLowerBound };

Kind kind_of(const std::string& name) {
  if (name == "model.embeddings.weight") return Kind::kEmbedding;
  if (name == "model.lower_bounds") return Kind::kLowerBound;
  const auto ends = [&](const char* s) {
    const std::size_t n = std::strlen(s);
    return name.size() >= n && name.compare(name.size() - n, n, s) == 0;
  };
  if (ends("norm.weight")) return Kind::kNorm;  // attn_norm, g_norm, mlp_norm, *.norm, model.norm
  return Kind::kBitLinear;
}

class Normal {
 public:
  explicit Normal(uint64_t seed) : rng_(seed) {}
  double uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double operator()() {
    const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(rng_() >> 11) * 0x1.0p-53;          // [0, 1)
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::mt19937_64 rng_;
};

// The official initialization (init "hf"): BitLinear weights xavier_uniform with gain 2^-2.5
// (mmfreelm's HGRNBitAttention / HGRNBitMLP, models/train/hgrn_bit.py), U(-a, a) with
// a = 2^-2.5 sqrt(6 / (fan_in + fan_out)); embeddings N(0, 0.02) (initializer_range). Norm weights
// and lower bounds as the trained statistics (perturbed away from their defaults 1 and 0).
float sample_hf(Kind k, double xavier_bound, Normal& z) {
  switch (k) {
    case Kind::kBitLinear: return static_cast<float>(xavier_bound * (2.0 * z.uniform() - 1.0));
    case Kind::kEmbedding: return static_cast<float>(0.02 * z());
    default: break;
  }
  return k == Kind::kNorm ? static_cast<float>(std::exp(0.3 * z())) : static_cast<float>(z());
}

float sample(Kind k, Normal& z) {
  switch (k) {
    case Kind::kBitLinear: {
      const double v = z();
      return static_cast<float>(0.02 * std::copysign(std::pow(std::fabs(v), kWeightPower), v));
    }
    case Kind::kNorm: return static_cast<float>(std::exp(0.3 * z()));
    case Kind::kEmbedding: {
      const double a = z();
      return static_cast<float>(0.02 * a * (1.0 + std::fabs(z())));
    }
    case Kind::kLowerBound: return static_cast<float>(z());
  }
  return 0.0f;
}

uint16_t to_bf16(float f) {  // round to nearest even (values are finite)
  uint32_t u = 0;
  std::memcpy(&u, &f, 4);
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

nlohmann::json hf_config(const HGRNBitConfig& c) {
  nlohmann::json j;
  j["architectures"] = {"HGRNBitForCausalLM"};
  j["model_type"] = "hgrn_bit";
  j["attn_mode"] = c.attn_mode;
  j["hidden_size"] = c.hidden_size;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["num_heads"] = c.num_heads;
  j["expand_ratio"] = c.expand_ratio;
  j["hidden_ratio"] = c.hidden_ratio;
  j["intermediate_size"] = c.intermediate_size_derived ? nlohmann::json(nullptr) : nlohmann::json(c.intermediate_size);
  j["rms_norm_eps"] = c.rms_norm_eps;
  j["use_lower_bound"] = c.use_lower_bound;
  j["use_short_conv"] = c.use_short_conv;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["vocab_size"] = c.vocab_size;
  j["hidden_act"] = "swish";
  j["torch_dtype"] = "bfloat16";
  j["neurark_synthetic"] = true;
  return j;
}

struct Shard {
  std::vector<ExpectedTensor> tensors;
  uint64_t bytes = 0;
};

void write_shard(const std::string& path, const Shard& shard, std::size_t item, bool bf16, bool hf_init, Normal& z,
                 uint64_t* params) {
  nlohmann::ordered_json header;
  header["__metadata__"] = {{"format", "pt"}, {"neurark", "synthetic"}};
  uint64_t off = 0;
  for (const ExpectedTensor& t : shard.tensors) {
    uint64_t n = 1;
    for (int64_t s : t.shape) n *= static_cast<uint64_t>(s);
    header[t.name] = {{"dtype", bf16 ? "BF16" : "F32"}, {"shape", t.shape}, {"data_offsets", {off, off + n * item}}};
    off += n * item;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error(fmt::format("{}: cannot create the file", path));
  const uint64_t hl = h.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((hl >> (8 * i)) & 0xFFu);
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  std::vector<unsigned char> buf;
  for (const ExpectedTensor& t : shard.tensors) {
    uint64_t n = 1;
    for (int64_t s : t.shape) n *= static_cast<uint64_t>(s);
    const Kind k = kind_of(t.name);
    const double xavier_bound = t.shape.size() == 2 ? std::pow(2.0, -2.5) * std::sqrt(6.0 / static_cast<double>(t.shape[0] + t.shape[1])) : 0.0;
    constexpr uint64_t kChunk = 1 << 20;
    for (uint64_t done = 0; done < n; done += kChunk) {
      const uint64_t m = std::min(kChunk, n - done);
      buf.resize(static_cast<std::size_t>(m * item));
      for (uint64_t i = 0; i < m; ++i) {
        const float f = hf_init ? sample_hf(k, xavier_bound, z) : sample(k, z);
        if (bf16) {
          const uint16_t b = to_bf16(f);
          buf[static_cast<std::size_t>(2 * i)] = static_cast<unsigned char>(b & 0xFFu);
          buf[static_cast<std::size_t>(2 * i + 1)] = static_cast<unsigned char>(b >> 8);
        } else {
          uint32_t u = 0;
          std::memcpy(&u, &f, 4);
          for (int b = 0; b < 4; ++b) buf[static_cast<std::size_t>(4 * i + static_cast<uint64_t>(b))] = static_cast<unsigned char>((u >> (8 * b)) & 0xFFu);
        }
      }
      out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
    }
    *params += n;
  }
  out.close();
  if (!out) throw Error(fmt::format("{}: write failed (disk full?)", path));
}

}  // namespace

void check_new_output_dir(const std::string& out_dir) {
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !(fs::is_directory(out_dir, ec) && fs::is_empty(out_dir, ec)))
    throw Error(fmt::format("{}: already exists and is not an empty folder; choose a new output folder", out_dir));
}

SynthResult synth_checkpoint(const HGRNBitConfig& config, const std::string& out_dir,
                             const SynthOptions& options) {
  if (options.dtype != "BF16" && options.dtype != "F32")
    throw Error(fmt::format("synth-checkpoint: dtype '{}' is not supported, expected BF16 or F32", options.dtype));
  if (options.init != "trained" && options.init != "hf")
    throw Error(fmt::format("synth-checkpoint: init '{}' is not known, expected trained or hf", options.init));
  check_new_output_dir(out_dir);
  std::error_code ec;
  const bool bf16 = options.dtype == "BF16";
  const std::size_t item = bf16 ? 2 : 4;

  std::vector<Shard> shards(1);
  for (const ExpectedTensor& t : expected_tensors(config)) {
    uint64_t n = 1;
    for (int64_t s : t.shape) n *= static_cast<uint64_t>(s);
    const uint64_t b = n * item;
    if (!shards.back().tensors.empty() && shards.back().bytes + b > options.max_shard_bytes) shards.emplace_back();
    shards.back().tensors.push_back(t);
    shards.back().bytes += b;
  }

  const fs::path final_dir(out_dir);
  const fs::path tmp = final_dir.string() + fmt::format(".tmp-{}", ::getpid());
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw Error(fmt::format("{}: cannot create the folder: {}", tmp.string(), ec.message()));
  SynthResult res;
  try {
    Normal z(options.seed);
    nlohmann::ordered_json weight_map;
    for (std::size_t i = 0; i < shards.size(); ++i) {
      const std::string name = shards.size() == 1
                                   ? std::string("model.safetensors")
                                   : fmt::format("model-{:05d}-of-{:05d}.safetensors", i + 1, shards.size());
      write_shard((tmp / name).string(), shards[i], item, bf16, options.init == "hf", z, &res.parameters);
      res.bytes += shards[i].bytes;
      for (const ExpectedTensor& t : shards[i].tensors) weight_map[t.name] = name;
    }
    res.shards = static_cast<int>(shards.size());
    if (shards.size() > 1) {
      std::ofstream idx(tmp / "model.safetensors.index.json");
      idx << nlohmann::ordered_json{{"metadata", {{"total_size", res.bytes}}}, {"weight_map", weight_map}}.dump(2) << "\n";
      if (!idx) throw Error(fmt::format("{}: write failed", (tmp / "model.safetensors.index.json").string()));
    }
    std::ofstream cfg(tmp / "config.json");
    cfg << hf_config(config).dump(2) << "\n";
    cfg.close();
    if (!cfg) throw Error(fmt::format("{}: write failed", (tmp / "config.json").string()));
    if (fs::exists(final_dir, ec)) fs::remove(final_dir, ec);  // an empty folder
    fs::rename(tmp, final_dir, ec);
    if (ec) throw Error(fmt::format("{}: cannot move the finished checkpoint into place: {}", out_dir, ec.message()));
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  return res;
}

}  // namespace neurark::models
