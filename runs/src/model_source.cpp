// SPDX-License-Identifier: Apache-2.0
// Where a model comes from: see neurark/runs/model_source.hpp.
#include "neurark/runs/model_source.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/int_ref.hpp"
#include "neurark/sim/registry.hpp"

namespace neurark::runs {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void warn_if_not_byte_level(int64_t vocab_size, const std::string& what) {
  if (vocab_size != 256)
    std::cerr << fmt::format("neurark: warning: {} has vocab_size {}; bytes are fed as token ids 0-255 "
                             "and tokens >= 256 print as '?', so text and bits per byte are not "
                             "meaningful for a non-byte tokenizer\n",
                             what, vocab_size);
}

CompiledImage compile_image(const std::string& model_dir, const std::string& chip_path,
                            const std::optional<std::string>& chip_text) {
  const arch::ChipDescription chip =
      chip_text ? arch::ChipDescription::from_yaml_text(*chip_text, chip_path) : arch::ChipDescription::from_file(chip_path);
  // The image goes to a private temporary file, removed as soon as it is mapped (and those that
  // killed processes left are removed first).
  namespace fs = std::filesystem;
  arch::remove_stale_temporaries(fs::temp_directory_path().string());
  const fs::path tmp = fs::temp_directory_path() / fmt::format("neurark-{}-{}.nimg", ::getpid(),
      std::chrono::steady_clock::now().time_since_epoch().count());
  {  // the checkpoint's mapping and the compiled graph are let go before the image is mapped
    const auto ck = std::make_shared<const models::Checkpoint>(models::Checkpoint::open(model_dir));
    compiler::CompileOptions opt;  // placement seed 1, as `neurark compile`
    const compiler::Graph g = compiler::compile_graph(ck, chip, chip_text ? *chip_text : read_file(chip_path), opt);
    compiler::emit(g, tmp.string());
  }
  try {
    arch::Image img = arch::Image::open(tmp.string());
    fs::remove(tmp);
    arch::Program program = arch::Program::from_image(img);
    return {std::move(img), std::move(program)};
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

OpenedModel open_model(const ModelSource& src) {
  const sim::BackendEntry& entry = sim::backend(src.backend);
  OpenedModel m;
  sim::BackendInputs in;
  const auto events_text = [](const arch::EventMode& e) {
    return fmt::format("{} events, threshold {}", arch::to_string(e.encoding), e.threshold);
  };
  src.events.check();
  if (!entry.runs_image) {
    if (src.events.any() && !entry.bit_exact)
      throw Error(fmt::format("--event-encoding / --event-threshold: the {} backend has no events (the int reference and "
                              "the chip backends do)", src.backend));
    in.events = src.events.over(arch::EventMode{});
    if (!src.image_path.empty())
      throw Error(fmt::format("--image: the {} backend runs a checkpoint; images run on --backend {}", src.backend,
                              fmt::format("{}", fmt::join(sim::backend_names(true), " or "))));
    if (!src.chip_path.empty() || src.chip_text)
      throw Error(fmt::format("--chip: the {} backend does not model a chip; use --backend {}", src.backend,
                              fmt::format("{}", fmt::join(sim::backend_names(true), " or "))));
    if (src.model_dir.empty()) throw Error(fmt::format("--model: required for --backend {}", src.backend));
    if (entry.from_dir) {  // the integer reference reads the checkpoint tensor by tensor
      in.model_dir = src.model_dir;
      m.lm = entry.make(in);
      warn_if_not_byte_level(m.lm->vocab_size(), src.model_dir);
    } else {
      const models::HGRNBitWeights w = models::HGRNBitWeights::load(src.model_dir);
      warn_if_not_byte_level(w.config.vocab_size, src.model_dir);
      in.weights = &w;
      m.lm = entry.make(in);
    }
    m.label = src.model_dir;
    m.backend = dynamic_cast<sim::Backend*>(m.lm.get());
    return m;
  }
  if (src.image_path.empty() == (src.chip_path.empty() && !src.chip_text))
    throw Error(fmt::format("--backend {}: give exactly one of --image IMAGE (a compiled chip image) or --chip FILE "
                            "(with --model: compile on the fly)", src.backend));
  const auto finish = [&](std::unique_ptr<models::LanguageModel> lm, std::unique_ptr<models::IntModel> ref,
                          const arch::EventMode& events) {
    auto* be = dynamic_cast<sim::Backend*>(lm.get());
    m.timing = dynamic_cast<sim::SystemCBackend*>(lm.get());
    std::unique_ptr<sim::Backend> chip_be(be);
    lm.release();
    if (ref) {
      chip_be = sim::cross_checked(std::move(chip_be), sim::make_int_backend(std::move(*ref), events));
      m.checked = true;
    }
    m.backend = chip_be.get();
    m.lm = std::move(chip_be);
  };
  if (!src.image_path.empty()) {
    const arch::Image img = arch::Image::open(src.image_path);
    const arch::Program program = arch::Program::from_image(img);
    if (const arch::EventMode want = src.events.over(program.chip.core.events); !(want == program.chip.core.events))
      throw Error(fmt::format("--event-encoding / --event-threshold ({}): the image {} was compiled for {}; compile it again "
                              "with the chip's neurocore.event_encoding / event_threshold set, or give --chip instead of "
                              "--image", events_text(want), src.image_path, events_text(program.chip.core.events)));
    // With --model, the checkpoint the image was compiled from is the reference: every token is
    // checked against the integer reference (NVDLA-style cross-check mode); alone, the image runs
    // unchecked. The checkpoint is checked against the image before any model is built.
    std::unique_ptr<models::IntModel> ref;
    if (!src.model_dir.empty()) {
      ref = std::make_unique<models::IntModel>(models::IntModel::load(src.model_dir));
      const models::HGRNBitConfig& c = ref->config;
      for (const auto& [key, value, image_value] :
           {std::tuple<const char*, int64_t, int64_t>{"vocab_size", c.vocab_size, program.model.vocab_size},
            {"hidden_size", c.hidden_size, program.model.hidden_size},
            {"num_hidden_layers", c.num_hidden_layers, program.model.num_hidden_layers},
            {"intermediate_size", c.intermediate_size, program.model.intermediate_size}})
        if (image_value != value)
          throw Error(fmt::format("--model {}: {} is {}, but the image {} was compiled for {} = {}; give the checkpoint the "
                                  "image was compiled from", src.model_dir, key, value, src.image_path, key, image_value));
    }
    in.image = &img;
    in.program = &program;
    std::unique_ptr<models::LanguageModel> lm = entry.make(in);
    if (lm->vocab_size() != 256) warn_if_not_byte_level(lm->vocab_size(), src.image_path);
    finish(std::move(lm), std::move(ref), program.chip.core.events);
    m.label = src.image_path;
    return m;
  }
  if (src.model_dir.empty()) throw Error("--model: required with --chip (the model to compile)");
  std::optional<std::string> chip_text = src.chip_text;
  if (src.events.any())
    chip_text = arch::chip_text_with_events(chip_text ? *chip_text : arch::ChipDescription::read_text(src.chip_path),
                                            src.chip_path, src.events);
  const CompiledImage c = compile_image(src.model_dir, src.chip_path, chip_text);
  warn_if_not_byte_level(c.program.model.vocab_size, src.model_dir);
  in.image = &c.image;
  in.program = &c.program;
  std::unique_ptr<models::LanguageModel> lm = entry.make(in);
  std::unique_ptr<models::IntModel> ref;
  if (entry.timed) ref = std::make_unique<models::IntModel>(models::IntModel::load(src.model_dir));
  finish(std::move(lm), std::move(ref), c.program.chip.core.events);
  m.label = src.model_dir;
  return m;
}

}  // namespace neurark::runs
