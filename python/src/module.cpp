// SPDX-License-Identifier: Apache-2.0
// The `neurark` Python module: a thin pybind11 binding over the C++ libraries (docs/python.md).
//
// Every number comes from the libraries the command line calls: a checkpoint from
// models::Checkpoint, fit and compile from compiler::compile_graph / fit_json / emit, an image
// from arch::Image and compiler::inspect_summary, a run from runs::run with its report.json from
// reports::run_report_json, an evaluation from runs::eval, a sweep from sweeps::run_sweep (each
// point a child process of the `neurark` executable). Results built as JSON by the libraries
// reach Python through the json module from the same text the command line writes, so a float is
// the same double, digit for digit. neurark::Error becomes neurark.Error with the same message.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <dlfcn.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "neurark/arch/chip.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/image.hpp"
#include "neurark/arch/version.hpp"
#include "neurark/compiler/fit.hpp"
#include "neurark/compiler/inspect.hpp"
#include "neurark/compiler/passes.hpp"
#include "neurark/models/checkpoint.hpp"
#include "neurark/models/safetensors.hpp"
#include "neurark/reports/report.hpp"
#include "neurark/runs/eval.hpp"
#include "neurark/runs/run.hpp"
#include "neurark/runs/sparsity.hpp"
#include "neurark/sim/registry.hpp"
#include "neurark/sweeps/result.hpp"
#include "neurark/sweeps/runner.hpp"
#include "neurark/sweeps/sweep.hpp"

namespace py = pybind11;
namespace fs = std::filesystem;

namespace neurark::python {

namespace {

// What a dict chip is called: its name in messages and report.json's chip.file; its relative
// table paths resolve from the current folder.
constexpr const char* kDictChipPath = "<chip dict>";

// nlohmann JSON -> Python objects, through the json module (the text report.json holds).
py::object to_python(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string type_name(const py::handle& o) { return py::str(py::type::of(o).attr("__name__")).cast<std::string>(); }

// A path argument: str or os.PathLike (bytes paths are refused; a NUL byte is refused as
// Python's open() refuses it).
std::string path_arg(const py::handle& o, const char* arg) {
  if (!o.is_none() && (py::isinstance<py::str>(o) || py::hasattr(o, "__fspath__"))) {
    const py::object p = py::module_::import("os").attr("fspath")(o);
    if (py::isinstance<py::str>(p)) {
      std::string path = p.cast<std::string>();
      if (path.find('\0') != std::string::npos) throw py::value_error(fmt::format("{}: embedded null byte", arg));
      return path;
    }
  }
  throw py::type_error(fmt::format("{}: expected a path (str or os.PathLike), got {}", arg, type_name(o)));
}

// The bundled defaults as this module finds them (arch::bundled_path): from the working folder,
// $NEURARK_DATA_DIR, or, for a module installed by `cmake --install` into
// <prefix>/lib/python3/dist-packages, <prefix>/share/neurark. Set when the module is imported.
std::string default_model = runs::kDefaultModel, default_chip = runs::kDefaultChip,
            default_prompt_file = runs::kDefaultPromptFile;

void resolve_defaults() {
  std::string share;
  Dl_info info;
  if (::dladdr(reinterpret_cast<void*>(&resolve_defaults), &info) != 0 && info.dli_fname != nullptr) {
    const fs::path candidate = fs::path(info.dli_fname).parent_path().parent_path().parent_path().parent_path() / "share" / "neurark";
    std::error_code ec;
    if (fs::is_directory(candidate / "arch" / "chips", ec)) share = candidate.string();
  }
  default_model = arch::bundled_path(runs::kDefaultModel, share);
  default_chip = arch::bundled_path(runs::kDefaultChip, share);
  default_prompt_file = arch::bundled_path(runs::kDefaultPromptFile, share);
}

// event_encoding / event_threshold arguments (None: not given), as --event-encoding /
// --event-threshold take them; raises neurark.Error for another encoding.
arch::EventOverride event_override(const py::object& encoding, const py::object& threshold) {
  arch::EventOverride o;
  if (!encoding.is_none()) {
    const std::string e = py::cast<std::string>(encoding);
    if (e != "absolute" && e != "sigma_delta")
      throw Error(fmt::format("--event-encoding: '{}' is not an encoding, expected absolute or sigma_delta", e));
    o.encoding = e == "absolute" ? arch::EventEncoding::kAbsolute : arch::EventEncoding::kSigmaDelta;
  }
  if (!threshold.is_none()) o.threshold = py::cast<int32_t>(threshold);
  o.check();
  return o;
}

// A chip argument: a chip file's path, or a dict holding a chip description (the document
// read_chip returns, or one written by hand), serialized as JSON and read by the same reader
// as a file (arch::ChipDescription::from_yaml_text: JSON is YAML flow syntax).
struct ChipArg {
  std::string path;                 // the file, or kDictChipPath
  std::optional<std::string> text;  // a dict's JSON
};

ChipArg chip_arg(const py::handle& chip) {
  if (py::isinstance<py::dict>(chip)) {
    try {
      return {kDictChipPath, py::module_::import("json").attr("dumps")(chip, py::arg("allow_nan") = false).cast<std::string>()};
    } catch (py::error_already_set& e) {
      throw py::type_error(fmt::format("chip: the dict must hold only JSON data (dict with str keys, list, str, int, finite "
                                       "float, bool, None): {}", e.what()));
    }
  }
  if (!chip.is_none() && (py::isinstance<py::str>(chip) || py::hasattr(chip, "__fspath__"))) return {path_arg(chip, "chip"), {}};
  throw py::type_error(fmt::format("chip: expected a chip file path (str or os.PathLike) or a dict, got {}", type_name(chip)));
}

arch::ChipDescription read_chip_description(const ChipArg& c) {
  return c.text ? arch::ChipDescription::from_yaml_text(*c.text, c.path) : arch::ChipDescription::from_file(c.path);
}

// What `neurark inspect --json` prints for the image at `path`.
nlohmann::json image_json(const std::string& path) {
  const arch::Image img = arch::Image::open(path);
  return {{"image", path}, {"bytes", img.file_bytes()}, {"checksum", fmt::format("{:016x}", img.checksum())},
          {"summary", compiler::inspect_summary(img)}};
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compiles `model_dir` for the chip through the pass pipeline (up to opt.stop_after: "" = all but
// emit), as `neurark fit` and `neurark compile` do.
compiler::Graph compile_for(const std::string& model_dir, const ChipArg& c, const compiler::CompileOptions& opt) {
  const arch::ChipDescription desc = read_chip_description(c);
  auto ck = std::make_shared<const models::Checkpoint>(models::Checkpoint::open(model_dir));
  return compiler::compile_graph(std::move(ck), desc, c.text ? *c.text : read_text_file(c.path), opt);
}

// A plain YAML scalar as the YAML 1.2 core schema types it (null, bool, int, float, else str); a
// quoted or tagged scalar stays a str. The chip reader reads each back from its JSON the same way
// it reads the file's text.
py::object yaml_scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() != "?") return py::str(s);
  static const std::regex null_re("~|null|Null|NULL|"), true_re("true|True|TRUE"), false_re("false|False|FALSE"),
      int_re("[-+]?[0-9]+"), oct_re("0o[0-7]+"), hex_re("0x[0-9a-fA-F]+"),
      float_re("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"), inf_re("([-+]?)\\.(inf|Inf|INF)"),
      nan_re("\\.(nan|NaN|NAN)");
  const py::object builtins = py::module_::import("builtins");
  std::smatch m;
  if (std::regex_match(s, null_re)) return py::none();
  if (std::regex_match(s, true_re)) return py::bool_(true);
  if (std::regex_match(s, false_re)) return py::bool_(false);
  if (std::regex_match(s, int_re)) return builtins.attr("int")(s);
  if (std::regex_match(s, oct_re)) return builtins.attr("int")(s.substr(2), 8);
  if (std::regex_match(s, hex_re)) return builtins.attr("int")(s.substr(2), 16);
  if (std::regex_match(s, float_re)) return builtins.attr("float")(s);
  if (std::regex_match(s, m, inf_re)) return builtins.attr("float")(m[1].str() + "inf");
  if (std::regex_match(s, nan_re)) return builtins.attr("float")("nan");
  return py::str(s);
}

py::object yaml_to_python(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      return yaml_scalar(n);
    case YAML::NodeType::Sequence: {
      py::list l;
      for (const YAML::Node& c : n) l.append(yaml_to_python(c));
      return l;
    }
    case YAML::NodeType::Map: {
      py::dict d;
      for (const auto& kv : n) d[yaml_to_python(kv.first)] = yaml_to_python(kv.second);
      return d;
    }
    default:
      return py::none();
  }
}

py::dict read_chip(const py::object& path_obj) {
  const std::string path = path_arg(path_obj, "path");
  arch::ChipDescription::from_file(path);  // valid, or neurark.Error naming the file, line and key
  py::object doc;
  try {
    doc = yaml_to_python(YAML::Load(read_text_file(path)));
  } catch (const YAML::Exception& e) {  // the reader above parsed it: not expected
    throw Error(fmt::format("{}: {}", path, e.what()));
  }
  py::dict d = doc.cast<py::dict>();
  // The tables a chip names relative to its file, made absolute: the dict is valid from any folder.
  if (d.contains("technology") && py::isinstance<py::dict>(d["technology"])) {
    py::dict tech = d["technology"].cast<py::dict>();
    for (const char* key : {"energy_table", "cost_table"})
      if (tech.contains(key) && py::isinstance<py::str>(tech[key]) && !tech[key].cast<std::string>().empty())
        tech[key] = fs::absolute(arch::resolve_relative(path, tech[key].cast<std::string>())).lexically_normal().string();
  }
  return d;
}

// The prompt of run(): text (UTF-8) or bytes, else the bytes of a file.
void set_prompt(runs::RunOptions& o, const py::object& prompt, const py::object& prompt_file) {
  if (!prompt.is_none() && !prompt_file.is_none())
    throw py::value_error("prompt and prompt_file: give one of them (the prompt's text, or a file holding it)");
  if (!prompt.is_none()) {
    if (py::isinstance<py::bytes>(prompt)) o.prompt = prompt.cast<std::string>();
    else if (py::isinstance<py::str>(prompt)) o.prompt = prompt.cast<std::string>();  // UTF-8
    else throw py::type_error(fmt::format("prompt: expected str or bytes, got {}", type_name(prompt)));
    o.prompt_source = "prompt";
    return;
  }
  const std::string file = prompt_file.is_none() ? default_prompt_file : path_arg(prompt_file, "prompt_file");
  if (!fs::is_regular_file(file)) throw Error(fmt::format("prompt_file {}: not a readable file", file));
  o.prompt = read_text_file(file);
  o.prompt_source = "prompt_file " + file;
}

// The neurark executable a sweep's points run: the argument, $NEURARK_EXE, next to the module
// (or in its parent folder: the build tree), <prefix>/bin of an installed module, or where this
// build put it.
std::string find_neurark_exe(const py::object& given) {
  if (!given.is_none()) return path_arg(given, "neurark_exe");
  if (const char* env = std::getenv("NEURARK_EXE"); env != nullptr && *env != '\0') return env;
  const fs::path module_dir = fs::path(py::module_::import("neurark").attr("__file__").cast<std::string>()).parent_path();
  // Installed: <prefix>/lib/python3/dist-packages/neurark*.so and <prefix>/bin/neurark.
  const fs::path installed = module_dir.parent_path().parent_path().parent_path() / "bin" / "neurark";
  for (const fs::path& p : {module_dir / "neurark", module_dir.parent_path() / "neurark", installed, fs::path(NEURARK_BUILD_EXE)})
    if (fs::is_regular_file(p)) return p.string();
  throw Error("sweep: cannot find the neurark executable (looked next to the module, in its parent folder, in " + installed.string() + " and at " NEURARK_BUILD_EXE
              "); pass neurark_exe= or set NEURARK_EXE");
}

py::dict config_dict(const models::HGRNBitConfig& c) {
  py::dict d;
  d["vocab_size"] = c.vocab_size;
  d["hidden_size"] = c.hidden_size;
  d["num_hidden_layers"] = c.num_hidden_layers;
  d["num_heads"] = c.num_heads;
  d["expand_ratio"] = c.expand_ratio;
  d["hidden_ratio"] = c.hidden_ratio;
  d["intermediate_size"] = c.intermediate_size;
  d["intermediate_size_derived"] = c.intermediate_size_derived;
  d["rms_norm_eps"] = c.rms_norm_eps;
  d["use_lower_bound"] = c.use_lower_bound;
  d["use_short_conv"] = c.use_short_conv;
  d["tie_word_embeddings"] = c.tie_word_embeddings;
  d["attn_mode"] = c.attn_mode;
  return d;
}

// A progress callback for the libraries: their lines to sys.stderr (or nothing).
std::function<void(const std::string&)> progress_sink(bool progress) {
  if (!progress) return {};
  return [](const std::string& s) {
    py::module_::import("sys").attr("stderr").attr("write")(s);
    py::module_::import("sys").attr("stderr").attr("flush")();
  };
}

}  // namespace

}  // namespace neurark::python

PYBIND11_MODULE(neurark, m) {
  using namespace neurark;
  using namespace neurark::python;
  m.doc() = "neurark: hardware co-design for MatMul-free ternary language models (HGRNBit), from Python.\n\n"
            "A thin binding over the C++ libraries of the `neurark` command line: the same numbers, the same\n"
            "messages (docs/python.md). Paths are relative to the current folder; the defaults\n"
            "(DEFAULT_MODEL, DEFAULT_CHIP, DEFAULT_PROMPT_FILE) are the bundled files as found at import: from the\n"
            "current folder (the repository root), $NEURARK_DATA_DIR, or an installed module's <prefix>/share/neurark.\n"
            "A chip is a chip file's path or a dict (read_chip gives one); errors raise neurark.Error.";
  m.attr("__version__") = arch::version();
  resolve_defaults();
  m.attr("DEFAULT_MODEL") = default_model;
  m.attr("DEFAULT_CHIP") = default_chip;
  m.attr("DEFAULT_PROMPT_FILE") = default_prompt_file;
  m.attr("BACKENDS") = sim::backend_names();
  m.attr("CHIP_BACKENDS") = sim::backend_names(true);
  py::register_exception<Error>(m, "Error", PyExc_Exception);
  m.attr("Error").attr("__doc__") =
      "Every error a user can cause (a bad checkpoint, chip, image or option; a model that does not fit; a\n"
      "mismatch against the integer reference), with the command line's message: it names the file, the key\n"
      "or option, the value found and what was expected.";

  // --- checkpoints -------------------------------------------------------------------------
  py::class_<models::Checkpoint, std::shared_ptr<models::Checkpoint>>(m, "Checkpoint",
      "A validated HGRNBit checkpoint (config.json + safetensors, memory-mapped; values read on demand).")
      .def_readonly("dir", &models::Checkpoint::dir, "The checkpoint folder (str).")
      .def_readonly("config_path", &models::Checkpoint::config_path, "Its config.json (str).")
      .def_property_readonly("config", [](const models::Checkpoint& c) { return config_dict(c.config); },
          "The parsed config.json (dict): vocab_size, hidden_size (d), num_hidden_layers, intermediate_size\n"
          "(resolved), rms_norm_eps, use_lower_bound, ... as the C++ reader validated them.")
      .def_property_readonly("tensors", [](const models::Checkpoint& c) {
            py::dict d;
            for (const std::string& name : c.store->names()) d[py::str(name)] = py::tuple(py::cast(c.store->find(name)->shape));
            return d;
          }, "Tensor name -> shape (tuple of ints, row-major), every tensor of the checkpoint.")
      .def("read", [](const models::Checkpoint& c, const std::string& name) { return c.read_all(name); }, py::arg("name"),
          "The values of tensor `name` as a flat list of floats (float32, row-major; checked finite).");
  m.def("load_checkpoint", [](const py::object& model) {
        return std::make_shared<models::Checkpoint>(models::Checkpoint::open(path_arg(model, "model")));
      }, py::arg("model") = default_model,
      "load_checkpoint(model=DEFAULT_MODEL) -> Checkpoint\n\n"
      "Opens and validates a checkpoint folder (config.json and every tensor it implies, with their shapes).\n"
      "Raises neurark.Error naming the file, tensor and what was expected.");

  // --- chips, fit, compile, images ------------------------------------------------------------
  m.def("read_chip", &read_chip, py::arg("path") = default_chip,
        "read_chip(path=DEFAULT_CHIP) -> dict\n\n"
        "A chip file as a dict: validated by the chip reader (neurark.Error if invalid), then its YAML\n"
        "document as Python values (numbers as int/float, e.g. clock_hz 500e6 -> 500000000.0), with\n"
        "technology.energy_table and cost_table made absolute so the dict is valid from any folder. Change it\n"
        "and pass it as `chip=` to fit, compile, run or evaluate.");
  m.def("chip_summary", [](const py::object& chip) {
        const arch::ChipDescription c = read_chip_description(chip_arg(chip));
        py::dict d;
        d["name"] = c.name;
        d["mesh"] = py::make_tuple(c.mesh_width, c.mesh_height);
        d["neurocores"] = c.total_cores();
        d["clock_hz"] = c.clock_hz;
        d["technology_node_nm"] = c.technology_node_nm;
        d["lanes"] = c.core.lanes;
        d["synapse_sram_bytes"] = c.core.synapse_sram_bytes;
        d["total_synapse_sram_bytes"] = c.total_synapse_sram_bytes();
        return d;
      }, py::arg("chip") = default_chip,
      "chip_summary(chip=DEFAULT_CHIP) -> dict\n\n"
      "Reads and validates a chip (path or dict) and gives its main parameters: name, mesh (width, height),\n"
      "neurocores, clock_hz (Hz), technology_node_nm, lanes, synapse_sram_bytes (per neurocore) and\n"
      "total_synapse_sram_bytes. Raises neurark.Error for an invalid chip.");
  m.def("fit", [](const py::object& model, const py::object& chip) {
        const std::string model_dir = path_arg(model, "model");
        compiler::CompileOptions opt;
        opt.stop_after = "place";
        const compiler::Graph g = compile_for(model_dir, chip_arg(chip), opt);
        return to_python(compiler::fit_json(g, compiler::fit_plan(g), model_dir));
      }, py::arg("model") = default_model, py::arg("chip") = default_chip,
      "fit(model=DEFAULT_MODEL, chip=DEFAULT_CHIP) -> dict\n\n"
      "Does the model fit the chip (path or dict), and how: what `neurark fit --json` prints ({\"model\",\n"
      "\"chip\", \"fits\": True, \"weight_bytes\", \"dram_bytes\", \"cores_used\", \"cores\", \"core_bytes_used\",\n"
      "\"tiles\": [...]}; bytes of ternary weights). A model that does not fit raises neurark.Error with the\n"
      "compiler's message (\"model does not fit chip ...\").");
  m.def("compile", [](const py::object& model, const py::object& chip, const py::object& out, int64_t seed) {
        if (seed < 0) throw Error(fmt::format("seed: {} is negative, expected 0 to 2^63-1", seed));
        const std::string model_dir = path_arg(model, "model"), out_path = path_arg(out, "out");
        const ChipArg c = chip_arg(chip);
        compiler::check_image_path(out_path, model_dir, c.path);
        compiler::CompileOptions opt;
        opt.seed = static_cast<uint64_t>(seed);
        compiler::emit(compile_for(model_dir, c, opt), out_path);
        return to_python(image_json(out_path));
      }, py::arg("model"), py::arg("chip"), py::arg("out"), py::arg("seed") = 1,
      "compile(model, chip, out, seed=1) -> dict\n\n"
      "Compiles a checkpoint for a chip (path or dict) through the pass pipeline into the chip image `out`\n"
      "(written atomically; placement seed `seed`, as `neurark compile --seed`), and gives read_image(out).\n"
      "`out` must be a new or existing regular file that is none of the inputs (messages name it -o).\n"
      "Raises neurark.Error as the compiler does (e.g. a model that does not fit).");
  m.def("read_image", [](const py::object& path_obj) {
        return to_python(image_json(path_arg(path_obj, "path")));
      }, py::arg("path"),
      "read_image(path) -> dict\n\n"
      "Opens and validates a chip image (every field and its XXH3 checksum) and gives what `neurark inspect\n"
      "--json` prints: {\"image\", \"bytes\" (file size), \"checksum\" (16 hex digits), \"summary\": {model, chip,\n"
      "seed, tiles, cores_used, per_core, bitlinears, flows, ...}}. Raises neurark.Error for a bad image.");

  // --- runs ----------------------------------------------------------------------------------
  py::class_<runs::StageFigures>(m, "StageFigures", "Prefill (the prompt) or generation (the generated tokens fed back).")
      .def_readonly("tokens", &runs::StageFigures::tokens, "Tokens of the stage (int).")
      .def_readonly("cycles", &runs::StageFigures::cycles, "Chip cycles (int; None untimed).")
      .def_readonly("tokens_per_s", &runs::StageFigures::tokens_per_s, "Tokens per second at the chip clock (None untimed).")
      .def_readonly("energy_per_token_j", &runs::StageFigures::energy_per_token_j,
                    "Energy per token in J: dynamic + leakage (untimed: dynamic).");
  py::class_<runs::RunResult>(m, "RunResult",
      "The typed result of run(): the figures of `neurark run`'s report.json (docs/report-format.md); the\n"
      "whole report as a dict in .report.")
      .def_readonly("run_id", &runs::RunResult::run_id)
      .def_readonly("backend", &runs::RunResult::backend)
      .def_readonly("model_dir", &runs::RunResult::model_dir)
      .def_readonly("chip_path", &runs::RunResult::chip_path, "The chip file, or '<chip dict>'.")
      .def_property_readonly("chip_name", [](const runs::RunResult& r) { return r.chip.name; })
      .def_readonly("energy_table", &runs::RunResult::energy_table, "Its name ('' if the chip names none).")
      .def_readonly("timed", &runs::RunResult::timed, "True on systemc: time, rates and leakage exist.")
      .def_readonly("prompt_tokens", &runs::RunResult::prompt_tokens)
      .def_property_readonly("generated_bytes", [](const runs::RunResult& r) { return py::bytes(r.generated_text); },
                             "The generated tokens as bytes (tokens >= 256 as '?').")
      .def_property_readonly("generated_text", [](const runs::RunResult& r) {
            return py::bytes(r.generated_text).attr("decode")("utf-8", "replace");
          }, "The generated bytes decoded as UTF-8 (invalid sequences replaced).")
      .def_readonly("tokens", &runs::RunResult::tokens, "Tokens fed through the model: prompt + generated - 1.")
      .def_readonly("prefill", &runs::RunResult::prefill)
      .def_readonly("generation", &runs::RunResult::generation)
      .def_property_readonly("tokens_per_s", [](const runs::RunResult& r) { return r.generation.tokens_per_s; },
                             "Generation tokens per second at the chip clock (None untimed).")
      .def_property_readonly("energy_per_token_j", [](const runs::RunResult& r) { return r.generation.energy_per_token_j; },
                             "Generation energy per token in J (dynamic + leakage; untimed: dynamic).")
      .def_readonly("cycles_per_token", &runs::RunResult::cycles_per_token, "Generation, mean (None untimed).")
      .def_readonly("time_to_first_token_s", &runs::RunResult::time_to_first_token_s)
      .def_readonly("latency_per_token_s", &runs::RunResult::latency_per_token_s)
      .def_readonly("power_w", &runs::RunResult::power_w, "Mean power in W (None untimed).")
      .def_readonly("sops_per_token", &runs::RunResult::sops_per_token, "Synaptic operations per token fed.")
      .def_readonly("events_per_token", &runs::RunResult::events_per_token)
      .def_readonly("activation_sparsity", &runs::RunResult::activation_sparsity)
      .def_readonly("weight_sparsity", &runs::RunResult::weight_sparsity)
      .def_readonly("cores_used", &runs::RunResult::cores_used, "Neurocores holding tiles.")
      .def_readonly("energy_breakdown_j", &runs::RunResult::energy_breakdown_j, "Per generated token, by action (J).")
      .def_readonly("energy_j", &runs::RunResult::energy_j, "The whole run (J).")
      .def_readonly("token_latency_s", &runs::RunResult::token_latency_s, "Per token fed (s; empty untimed).")
      .def_property_readonly("area_mm2", [](const runs::RunResult& r) {
            return r.hardware ? std::optional<double>(r.hardware->chip_area_mm2) : std::nullopt;
          }, "The chip's area in mm^2 (runs/hardware_cost.hpp; None without a cost table).")
      .def_property_readonly("leakage_w", [](const runs::RunResult& r) {
            return r.hardware ? std::optional<double>(r.hardware->chip_leakage_w) : std::nullopt;
          }, "The chip's leakage power in W at its supply (None without a cost table).")
      .def_readonly("reference", &runs::RunResult::reference, "What tokens were checked against ('int', or 'none').")
      .def_readonly("streams", &runs::RunResult::streams, "Independent sequences interleaved (run(streams=...)).")
      .def_readonly("check_every", &runs::RunResult::check_every, "run(check_every=...): 1 every token, N one in N, 0 none.")
      .def_readonly("tokens_compared", &runs::RunResult::tokens_compared)
      .def_readonly("stages", &runs::RunResult::stages, "Pipeline stages (embedding, layers, head).")
      .def_property_readonly("report", [](const runs::RunResult& r) { return to_python(reports::run_report_json(r)); },
                             "report.json as a dict (reports::run_report_json: the same numbers `neurark run` writes).")
      .def("__repr__", [](const runs::RunResult& r) {
        return fmt::format("<neurark.RunResult {} on '{}': {} tokens, {} J/token{}>", r.backend, r.chip.name, r.tokens,
                           r.generation.energy_per_token_j,
                           r.generation.tokens_per_s ? fmt::format(", {} tokens/s", *r.generation.tokens_per_s) : "");
      });
  m.def("run", [](const py::object& model, const py::object& chip, const py::object& prompt, const py::object& prompt_file,
                  int64_t max_new_tokens, const std::string& backend, bool synthesize_logic, const std::string& run_id,
                  bool progress, int64_t check_every, int64_t streams, const py::object& event_encoding,
                  const py::object& event_threshold) {
        runs::RunOptions o;
        o.model_dir = path_arg(model, "model");
        const ChipArg c = chip_arg(chip);
        o.chip_path = c.path;
        o.chip_text = c.text;
        o.max_new_tokens = max_new_tokens;
        o.check_every = check_every;
        o.streams = streams;
        o.events = event_override(event_encoding, event_threshold);
        o.backend = backend;
        o.synthesize_logic = synthesize_logic;
        o.run_id = run_id;
        o.log = progress_sink(progress);
        runs::check_run_options(o);
        set_prompt(o, prompt, prompt_file);
        return runs::run(o);
      }, py::arg("model") = default_model, py::arg("chip") = default_chip, py::arg("prompt") = py::none(),
      py::arg("prompt_file") = py::none(), py::arg("max_new_tokens") = 32, py::arg("backend") = "systemc",
      py::arg("synthesize_logic") = true, py::arg("run_id") = "", py::arg("progress") = false, py::arg("check_every") = 1, py::arg("streams") = 1,
      py::arg("event_encoding") = py::none(), py::arg("event_threshold") = py::none(),
      "run(model=DEFAULT_MODEL, chip=DEFAULT_CHIP, prompt=None, prompt_file=None, max_new_tokens=32,\n"
      "    backend='systemc', synthesize_logic=True, run_id='', progress=False, check_every=1, streams=1,\n"
      "    event_encoding=None, event_threshold=None) -> RunResult\n\n"
      "What `neurark run` does, without its report folder: compiles the model for the chip (path or dict;\n"
      "placement seed 1), feeds the prompt (str as UTF-8, or bytes; else the bytes of prompt_file, default\n"
      "DEFAULT_PROMPT_FILE), generates max_new_tokens greedily, tokens checked against the integer\n"
      "reference as check_every says (`--check-every`: 1 every token, N one in N, 0 none), and prices the activity.\n"
      "streams: `--streams` (the prompt cut into that many independent sequences, generated round robin).\n"
      "event_encoding ('absolute' | 'sigma_delta'), event_threshold (0 to 254): `--event-encoding`, `--event-threshold`\n"
      "(None: the chip's). backend: 'systemc' (timed) or 'func' (untimed). synthesize_logic:\n"
      "as `--no-synthesis` when False. progress: the run's progress lines on sys.stderr. Raises neurark.Error\n"
      "with the command line's messages (they name its options, e.g. '--max-new-tokens: ...').");
  m.def("evaluate", [](const py::object& model, const py::object& text_file, const std::string& backend, const py::object& chip,
                       const py::object& image, int64_t max_bytes, const py::object& event_encoding,
                       const py::object& event_threshold) {
        runs::EvalOptions o;
        o.source.events = event_override(event_encoding, event_threshold);
        o.source.model_dir = model.is_none() ? "" : path_arg(model, "model");
        o.source.backend = backend;
        if (!chip.is_none()) {
          const ChipArg c = chip_arg(chip);
          o.source.chip_path = c.path;
          o.source.chip_text = c.text;
        }
        if (!image.is_none()) o.source.image_path = path_arg(image, "image");
        o.text_path = path_arg(text_file, "text_file");
        o.max_bytes = max_bytes;
        return to_python(reports::eval_json(runs::eval(o)));
      }, py::arg("model") = default_model, py::arg("text_file") = default_prompt_file, py::arg("backend") = "int",
      py::arg("chip") = py::none(), py::arg("image") = py::none(), py::arg("max_bytes") = 0,
      py::arg("event_encoding") = py::none(), py::arg("event_threshold") = py::none(),
      "evaluate(model=DEFAULT_MODEL, text_file=DEFAULT_PROMPT_FILE, backend='int', chip=None, image=None,\n"
      "         max_bytes=0, event_encoding=None, event_threshold=None) -> dict\n\n"
      "Bits per byte of a text on any backend (BACKENDS: float and int run the checkpoint; the chip backends\n"
      "func and systemc run it compiled for `chip` (path or dict), or an `image`): what `neurark eval --json`\n"
      "prints ({\"model\", \"text\", \"backend\", \"bpb\", \"bytes\", \"tokens_per_s\", \"seconds\" (wall clock),\n"
      "\"activity\": per-token events, energy (pJ), ...}). max_bytes: only the first N bytes (0: all).\n"
      "event_encoding, event_threshold: `--event-encoding`, `--event-threshold` (None: the chip's; int: the dense path).");

  m.def("sparsity", [](const py::object& models, const py::object& chip, const py::object& text_file, int64_t max_bytes,
                       const std::vector<std::string>& encodings, const std::vector<int32_t>& thresholds,
                       const std::string& backend, bool weight_encodings, bool progress) {
        runs::SparsityOptions o;
        if (py::isinstance<py::str>(models) || !py::isinstance<py::sequence>(models)) {
          o.model_dirs.push_back(path_arg(models, "models"));
        } else {
          for (const py::handle& h : models) o.model_dirs.push_back(path_arg(py::reinterpret_borrow<py::object>(h), "models"));
        }
        o.chip_path = path_arg(chip, "chip");
        o.text_path = path_arg(text_file, "text_file");
        o.max_bytes = max_bytes;
        o.encodings.clear();
        for (const std::string& e : encodings) {
          if (e != "absolute" && e != "sigma_delta")
            throw Error(fmt::format("--encodings: '{}' is not an event encoding, expected absolute or sigma_delta", e));
          o.encodings.push_back(e == "absolute" ? arch::EventEncoding::kAbsolute : arch::EventEncoding::kSigmaDelta);
        }
        o.thresholds = thresholds;
        o.backend = backend;
        o.weight_encodings = weight_encodings;
        o.log = progress_sink(progress);
        return to_python(runs::sparsity_json(runs::sparsity(o)));
      }, py::arg("models") = default_model, py::arg("chip") = default_chip, py::arg("text_file") = default_prompt_file,
      py::arg("max_bytes") = 4000, py::arg("encodings") = std::vector<std::string>{"absolute", "sigma_delta"},
      py::arg("thresholds") = std::vector<int32_t>{0, 1, 2, 3, 4, 6, 8}, py::arg("backend") = "systemc",
      py::arg("weight_encodings") = true, py::arg("progress") = false,
      "sparsity(models=DEFAULT_MODEL, chip=DEFAULT_CHIP, text_file=DEFAULT_PROMPT_FILE, max_bytes=4000,\n"
      "         encodings=['absolute', 'sigma_delta'], thresholds=[0, 1, 2, 3, 4, 6, 8], backend='systemc',\n"
      "         weight_encodings=True, progress=False) -> dict\n\n"
      "What `neurark sparsity --json` prints: per model (a path or a list of paths) and event mode, bpb, its change\n"
      "from the first model's dense point, activation sparsity, events, SOPs, energy and tokens/s on the chip\n"
      "(docs/numerics.md §5b); modes that do not fit the chip with the reason; packed vs sparse-index weights.");

  // --- sweeps --------------------------------------------------------------------------------
  m.def("sweep", [](const py::object& space, const py::object& out, int jobs, const py::object& neurark_exe, bool progress) {
        sweeps::SweepOptions o;
        o.space_path = path_arg(space, "space");
        o.out_dir = path_arg(out, "out");
        o.jobs = jobs;
        o.neurark_exe = fs::absolute(find_neurark_exe(neurark_exe)).string();
        o.progress = progress_sink(progress);
        // Ctrl-C: the command line's rule (stop the point processes, start no more), then
        // KeyboardInterrupt; the stopped points stay pending for the next sweep over the folder.
        sweeps::clear_stop_request();
        const PyOS_sighandler_t previous = PyOS_setsig(SIGINT, [](int) { sweeps::stop_running_points(); });
        std::optional<sweeps::SweepOutcome> r;
        try {
          r = sweeps::run_sweep(o);
        } catch (...) {
          PyOS_setsig(SIGINT, previous);
          throw;
        }
        PyOS_setsig(SIGINT, previous);
        if (sweeps::stop_requested()) {
          sweeps::clear_stop_request();
          PyErr_SetNone(PyExc_KeyboardInterrupt);
          throw py::error_already_set();
        }
        return to_python(sweeps::sweep_json(r->space, r->points));
      }, py::arg("space"), py::arg("out"), py::arg("jobs") = 1, py::arg("neurark_exe") = py::none(), py::arg("progress") = false,
      "sweep(space, out, jobs=1, neurark_exe=None, progress=False) -> dict\n\n"
      "What `neurark sweep SPACE --out OUT --jobs N` does (docs/sweep.md): every point of the space file a real\n"
      "run in its own child process of the neurark executable, `jobs` at a time, into folder `out` (new, or\n"
      "one a sweep of the same space started: only its missing points run), with sweep.json, sweep.csv and\n"
      "index.html; gives sweep.json as a dict (points with status, objectives, Pareto front). The\n"
      "executable: neurark_exe, else $NEURARK_EXE, else `neurark` next to the module or in its parent\n"
      "folder (the build tree), else the one this build made. Points that fail are results (status\n"
      "'failed'), not exceptions; a bad space or folder raises neurark.Error.");
}
