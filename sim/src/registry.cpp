// SPDX-License-Identifier: Apache-2.0
// The backend registry: see neurark/sim/registry.hpp.
#include "neurark/sim/registry.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "neurark/arch/error.hpp"
#include "neurark/models/float_ref.hpp"
#include "neurark/models/int_ref.hpp"

namespace neurark::sim {

namespace {

const models::HGRNBitWeights& weights_of(const BackendInputs& in, const char* name) {
  if (in.weights == nullptr) throw std::invalid_argument(fmt::format("backend {}: built from a checkpoint's weights", name));
  return *in.weights;
}

void need_image(const BackendInputs& in, const char* name) {
  if (in.image == nullptr || in.program == nullptr)
    throw std::invalid_argument(fmt::format("backend {}: built from an image and its program", name));
}

}  // namespace

const std::vector<BackendEntry>& backends() {
  static const std::vector<BackendEntry> all = {
      {"float", "fp32 reference (PyTorch's arithmetic, op by op)", false, false, false,
       [](const BackendInputs& in) -> std::unique_ptr<models::LanguageModel> {
         return std::make_unique<models::FloatReference>(weights_of(in, "float"));
       }},
      {"float64", "the fp32 reference's operations in double precision (what float32 rounding changes)", false, false, false,
       [](const BackendInputs& in) -> std::unique_ptr<models::LanguageModel> {
         return std::make_unique<models::FloatReference>(weights_of(in, "float64"), models::FloatPrecision::kFloat64);
       }},
      {"int", "bit-exact integer reference (arch/ numerics)", false, true, false,
       [](const BackendInputs& in) -> std::unique_ptr<models::LanguageModel> {
         if (in.weights == nullptr && !in.model_dir.empty())
           return make_int_backend(models::IntModel::load(in.model_dir), in.events);
         return make_int_backend(models::IntModel::prepare(weights_of(in, "int")), in.events);
       },
       true},
      {"func", "functional chip backend (the image interpreted event by event, untimed)", true, true, false,
       [](const BackendInputs& in) -> std::unique_ptr<models::LanguageModel> {
         need_image(in, "func");
         return make_functional_backend(*in.image, *in.program, {}, in.probe);
       }},
      {"systemc", "cycle-approximate SystemC chip model", true, true, true,
       [](const BackendInputs& in) -> std::unique_ptr<models::LanguageModel> {
         need_image(in, "systemc");
         return make_systemc_backend(*in.image, *in.program, in.probe, in.systemc);
       }},
  };
  return all;
}

std::vector<std::string> backend_names(bool runs_image_only) {
  std::vector<std::string> names;
  for (const BackendEntry& e : backends())
    if (!runs_image_only || e.runs_image) names.push_back(e.name);
  return names;
}

const BackendEntry& backend(const std::string& name) {
  for (const BackendEntry& e : backends())
    if (e.name == name) return e;
  throw Error(fmt::format("backend '{}' does not exist; the backends are {}", name, fmt::join(backend_names(), ", ")));
}

}  // namespace neurark::sim
