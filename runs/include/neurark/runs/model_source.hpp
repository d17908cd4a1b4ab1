// SPDX-License-Identifier: Apache-2.0
// neurark/runs/model_source.hpp: where a model comes from — a checkpoint run by a reference
// backend, or a chip image run by a chip backend (an image given, or compiled on the fly from a
// checkpoint for a chip) — as `eval`, `generate` and `run` take it.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "neurark/arch/image.hpp"
#include "neurark/arch/program.hpp"
#include "neurark/models/lm.hpp"
#include "neurark/sim/backend.hpp"
#include "neurark/sim/systemc.hpp"

namespace neurark::runs {

struct ModelSource {
  std::string model_dir;        // checkpoint: run by a reference; compiled for chip_path; or the image's reference
  std::string backend = "int";  // a backend of sim/registry.hpp
  std::string chip_path;        // chip backends: compile model_dir for this chip (placement seed 1)
  std::optional<std::string> chip_text;  // the chip itself, read as if from file chip_path (RunOptions::chip_text)
  std::string image_path;       // chip backends: run this image
  // Which activation codes send events (docs/numerics.md §5b), changing the chip's neurocore
  // event_encoding / event_threshold (fields not given stay): int runs with it (from the dense
  // path); a chip backend given --chip compiles the chip with it; an image must have been
  // compiled with it; float refuses it.
  arch::EventOverride events;
};

struct OpenedModel {
  std::unique_ptr<models::LanguageModel> lm;
  sim::Backend* backend = nullptr;         // lm as a sim::Backend (nullptr for float)
  sim::SystemCBackend* timing = nullptr;   // the SystemC model inside lm (systemc only)
  bool checked = false;                    // every token checked against the integer reference
  std::string label;                       // what runs: the image path, else the model folder
};

// Builds the model `src` names. A reference backend needs model_dir and neither chip nor image;
// a chip backend's reference computes with the image's chip's events;
// a chip backend needs exactly one of image_path and chip_path. systemc compiled from model_dir
// is checked against the integer reference on every token (sim::cross_checked), and so is an
// image given with model_dir (whose shape must be the image's); an image alone runs unchecked.
// Warns on stderr for a model whose vocabulary is not 256 bytes. Throws neurark::Error naming
// the option (--model, --chip, --image) and what was expected.
OpenedModel open_model(const ModelSource& src);

// A checkpoint compiled for a chip into an image (a private temporary file, removed as soon as
// it is mapped; placement seed 1) and the image's program. The chip is the file `chip_path`, or
// `chip_text` read as if from that file (RunOptions::chip_text). Throws as
// arch::ChipDescription::from_file and compiler::compile_graph do.
struct CompiledImage {
  arch::Image image;
  arch::Program program;
};
CompiledImage compile_image(const std::string& model_dir, const std::string& chip_path,
                            const std::optional<std::string>& chip_text = std::nullopt);

// Prints a warning to stderr if a model's vocabulary is not 256 bytes (bytes are fed as tokens).
void warn_if_not_byte_level(int64_t vocab_size, const std::string& what);

}  // namespace neurark::runs
