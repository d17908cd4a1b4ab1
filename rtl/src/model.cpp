// SPDX-License-Identifier: Apache-2.0
// VerilatedModel and Port (neurark/rtl/model.hpp): a model compiled in or loaded from the cache,
// through the C interface of rtl/src/model_abi.h.
#include "neurark/rtl/model.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "model_abi.h"
#include "model_registry.hpp"
#include "neurark/arch/error.hpp"

// Verilator's port storage (CData .. QData, VlWide words) is read and written as bytes here.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "Port assumes a little-endian host");

namespace neurark::rtl {

void Port::set_bytes(const uint8_t* b, std::size_t n) {
  const std::size_t k = std::min<std::size_t>(n, static_cast<std::size_t>(bytes_));
  std::memcpy(p_, b, k);
  std::memset(p_ + k, 0, static_cast<std::size_t>(bytes_) - k);
  if (bits_ % 8 != 0 && bits_ / 8 < bytes_) p_[bits_ / 8] &= static_cast<uint8_t>((1u << (bits_ % 8)) - 1);
  for (int i = (bits_ + 7) / 8; i < bytes_; ++i) p_[i] = 0;
}

uint64_t Port::get_bits(int lsb, int width) const {
  if (lsb % 8 == 0 && width % 8 == 0 && width <= 64 && lsb + width <= bytes_ * 8) {  // whole bytes
    uint64_t r = 0;
    std::memcpy(&r, p_ + lsb / 8, static_cast<std::size_t>(width / 8));
    return r;
  }
  uint64_t r = 0;
  for (int b = 0; b < width; ++b) {
    const int i = lsb + b;
    if (i < bytes_ * 8 && ((p_[i / 8] >> (i % 8)) & 1u)) r |= uint64_t{1} << b;
  }
  return r;
}

void Port::set_bits(int lsb, int width, uint64_t value) {
  if (lsb % 8 == 0 && width % 8 == 0 && width <= 64 && lsb + width <= bits_) {  // whole bytes
    std::memcpy(p_ + lsb / 8, &value, static_cast<std::size_t>(width / 8));
    return;
  }
  for (int b = 0; b < width; ++b) {
    const int i = lsb + b;
    if (i >= bits_) break;
    const auto bit = static_cast<uint8_t>(1u << (i % 8));
    p_[i / 8] = ((value >> b) & 1u) ? static_cast<uint8_t>(p_[i / 8] | bit) : static_cast<uint8_t>(p_[i / 8] & ~bit);
  }
}

int Port::popcount() const {
  int n = 0;
  for (int i = 0; i < bytes_; ++i) n += __builtin_popcount(p_[i]);
  return n;
}

bool Port::zero_from(int lsb) const {
  for (int i = lsb; i < bits_; ++i)
    if ((p_[i / 8] >> (i % 8)) & 1u) return false;
  return true;
}

namespace {

struct Loaded {
  const nrk_model_api* api = nullptr;
  ModelBuild build;
};

// Every model this process has opened, by block and parameters: a library is loaded (or built)
// once and never unloaded (its instances may live until exit).
std::mutex g_mutex;
std::map<std::string, Loaded>& loaded() {
  static std::map<std::string, Loaded> m;
  return m;
}

Loaded load(const std::string& block, const RtlParams& params, const BuildOptions& options) {
  const std::string p = params_text(params);
  const std::string key = block + "|" + p;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (auto it = loaded().find(key); it != loaded().end()) return it->second;
  Loaded l;
  for (int i = 0; i < detail::kNumCompiledModels && l.api == nullptr; ++i)
    if (block == detail::kCompiledModels[i].block && p == detail::kCompiledModels[i].params) {
      l.api = detail::kCompiledModels[i].entry();
      l.build.block = block;
      l.build.top = l.api->top;
      l.build.params = p;
      l.build.compiled_in = true;
    }
  if (l.api == nullptr) {
    l.build = build_model(block, params, options);
    if (!l.build.built) {
      const std::string line = "using " + l.build.describe();
      if (options.progress)
        options.progress(line);
      else
        fmt::print(stderr, "rtl: {}\n", line);
    }
    const std::string so = l.build.path + "/model.so";
    void* h = ::dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr)
      throw Error(fmt::format("rtl: cannot load {}: {} (remove the cache entry {} to rebuild it)", so, ::dlerror(),
                              l.build.path));
    auto entry = reinterpret_cast<nrk_model_entry_fn>(::dlsym(h, "nrk_model_entry"));
    if (entry == nullptr) throw Error(fmt::format("rtl: {} has no nrk_model_entry: not a neurark model", so));
    l.api = entry();
  }
  if (l.api->abi_version != NRK_MODEL_ABI_VERSION || p != l.api->params || block != l.api->block)
    throw Error(fmt::format("rtl: model {} reports block {}, parameters '{}', interface version {}; expected {}, '{}', {}",
                            l.build.describe(), l.api->block, l.api->params, l.api->abi_version, block, p,
                            NRK_MODEL_ABI_VERSION));
  loaded()[key] = l;
  return l;
}

}  // namespace

VerilatedModel::VerilatedModel(const nrk_model_api* api, void* instance, ModelBuild build)
    : api_(api), instance_(instance), build_(std::move(build)) {}

std::unique_ptr<VerilatedModel> VerilatedModel::open(const std::string& block, const RtlParams& params,
                                                     const std::string& instance, const std::string& fst_path,
                                                     const BuildOptions& options) {
  const Loaded l = load(block, params, options);
  char err[512] = {0};
  void* inst = l.api->create(instance.c_str(), fst_path.c_str(), err, sizeof err);
  if (inst == nullptr) {
    std::string why = err;
    if (!fst_path.empty() && l.api->trace_fst == 0)
      why = "FST waveforms need a model compiled into neurark with -DNEURARK_RTL_FST=ON (models built on demand have "
            "none)";
    throw Error(fmt::format("rtl: cannot create {}: {}", l.build.describe(), why));
  }
  return std::unique_ptr<VerilatedModel>(new VerilatedModel(l.api, inst, l.build));
}

VerilatedModel::~VerilatedModel() { api_->destroy(instance_); }

bool VerilatedModel::has_port(const std::string& name) const {
  for (int i = 0; i < api_->n_ports; ++i)
    if (name == api_->ports[i].name) return true;
  return false;
}

Port VerilatedModel::port(const std::string& name) const {
  for (int i = 0; i < api_->n_ports; ++i) {
    const nrk_model_port& p = api_->ports[i];
    if (name == p.name)
      return Port(api_->port(instance_, i), p.msb - p.lsb + 1, static_cast<int>(p.storage_bytes));
  }
  std::string names;
  for (int i = 0; i < api_->n_ports; ++i) names += (i ? ", " : "") + std::string(api_->ports[i].name);
  throw Error(fmt::format("rtl: {} has no port '{}' (its ports: {})", describe(), name, names));
}

void VerilatedModel::eval() { api_->eval(instance_); }

void VerilatedModel::dump(uint64_t time) { api_->dump(instance_, time); }

std::string VerilatedModel::describe() const {
  std::string p = build_.params;
  std::replace(p.begin(), p.end(), ',', ' ');
  return fmt::format("{} ({})", api_->top, p);
}

}  // namespace neurark::rtl
