// SPDX-License-Identifier: Apache-2.0
// Yosys synthesis of the rtl/ blocks at a chip's parameters: see neurark/rtl/synth.hpp.
#include "neurark/rtl/synth.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cache.hpp"
#include "neurark/arch/error.hpp"
#include "neurark/arch/numerics.hpp"
#include "neurark/rtl/chip_params.hpp"

namespace neurark::rtl {

namespace fs = std::filesystem;

namespace {

void say(const SynthOptions& o, const std::string& line) {
  if (o.progress)
    o.progress(line);
  else
    fmt::print(stderr, "rtl: {}\n", line);
}

// "1,024"
std::string grouped(int64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

int64_t param(const RtlParams& p, const std::string& name, int64_t fallback) {
  for (const RtlParam& x : p)
    if (x.name == name) return x.value;
  return fallback;
}

std::string bytes_text(int64_t b) {
  if (b % (1024 * 1024) == 0) return fmt::format("{} MB", b / (1024 * 1024));
  if (b % 1024 == 0) return fmt::format("{} KB", b / 1024);
  return fmt::format("{} bytes", b);
}

// The table's description of a block at its parameters.
std::string configuration(const std::string& block, const RtlParams& p) {
  if (block == "lane_array")
    return fmt::format("{} lanes, {} int32 accumulators, {}-bit port ({} SRAM as a macro)", param(p, "NumLanes", 16),
                       grouped(param(p, "NumRows", 64)), param(p, "SramPortBits", 64),
                       bytes_text(param(p, "SramBytes", 65536)));
  if (block == "requantize") return "int32 accumulator x Scale -> Q15.16";
  if (block == "activation") return "sigmoid (1,026-entry UQ0.32 LUT as a macro, quadratic interpolation) and SiLU";
  if (block == "mlgru") return "MLGRU state update (one shared multiplier)";
  if (block == "norm_helper") return "sum of squares (79-bit) and absmax, block shift";
  if (block == "event_out") return "absmax quantizer, non-zero detect, event packets";
  if (block == "router")
    return fmt::format("5 ports, {}-bit flits, {}-flit buffers, {} routing-table entries", param(p, "FlitWidth", 64),
                       param(p, "BufferDepth", 4), param(p, "NumFlows", 32));
  if (block == "mesh")
    return fmt::format("{} x {} routers, {}-bit flits, {}-flit buffers, {} routing-table entries each",
                       param(p, "MeshWidth", 4), param(p, "MeshHeight", 4), param(p, "FlitWidth", 64),
                       param(p, "BufferDepth", 4), param(p, "NumFlows", 32));
  if (block == "neurocore")
    return fmt::format("{} lanes, {} accumulators, {}-bit port, {}-event input FIFO, {} tile slots ({} SRAM as a macro)",
                       param(p, "NumLanes", 16), grouped(param(p, "NumAccumulators", 1024)), param(p, "SramPortBits", 64),
                       param(p, "FifoDepth", 64), param(p, "NumTileSlots", 16), bytes_text(param(p, "SramBytes", 65536)));
  return block;
}

// The storage of a black-box macro: (words, word bits, what) from its cell's parameters.
MacroInstance macro_of(const std::string& module, const std::string& instance, const std::map<std::string, int64_t>& params) {
  MacroInstance m;
  m.module = module;
  m.instance = instance;
  if (module == "nrk_synapse_sram") {
    m.what = "synapse SRAM";
    m.words = params.count("Depth") ? params.at("Depth") : 8192;
    m.word_bits = params.count("WordWidth") ? params.at("WordWidth") : 64;
  } else if (module == "nrk_sigmoid_lut") {
    // arch::sigmoid_lut()'s entries, 32 bits each (nrk_pkg::sigmoid_entry_t), in four banks
    // (entry i in bank i mod 4).
    const auto entries = static_cast<int64_t>(arch::sigmoid_lut().size());
    m.what = fmt::format("sigmoid LUT (four banks: {} + {} + {} + {} entries)", (entries + 3) / 4, (entries + 2) / 4,
                         (entries + 1) / 4, entries / 4);
    m.words = entries;
    m.word_bits = 32;
  } else {
    throw Error("rtl: synthesis: no capacity known for the black box " + module);
  }
  m.bits = m.words * m.word_bits;
  return m;
}

const std::string& yosys_version() {
  static std::mutex mu;
  static std::string v;
  std::lock_guard<std::mutex> lock(mu);
  if (v.empty()) {
    std::string out;
    const fs::path log = fs::temp_directory_path() / fmt::format("neurark-yosys-version-{}.log", ::getpid());
    int rc = -1;
    try {
      rc = detail::run_logged({NRK_YOSYS, "-V"}, log, [&](const std::string& l) { out += l; });
    } catch (const Error&) {
    }
    std::error_code ec;
    fs::remove(log, ec);
    if (rc != 0 || out.empty())
      throw Error(fmt::format("rtl: synthesis needs Yosys ({}: not found or not working; scripts/setup.sh installs it)",
                              NRK_YOSYS));
    v = out;
  }
  return v;
}

// The Yosys script of scripts/rtl-area.sh for one block (paths under `rtl`).
std::string yosys_script(const BlockSources& b, const RtlParams& params, const fs::path& rtl, const fs::path& out) {
  std::string s = fmt::format("read_verilog -sv {}; ", (rtl / b.package).string());
  std::string mem, logic;
  for (const std::string& f : b.sources) {
    const bool is_mem = std::find(b.memories.begin(), b.memories.end(), f) != b.memories.end();
    (is_mem ? mem : logic) += " " + (rtl / f).string();
  }
  if (!mem.empty()) s += "read_verilog -sv -lib" + mem + "; ";
  s += "read_verilog -sv" + logic + "; ";
  if (!params.empty()) {
    s += "chparam";
    for (const RtlParam& p : params) s += fmt::format(" -set {} {}", p.name, p.value);
    s += " " + b.top + "; ";
  }
  s += fmt::format("synth -flatten -top {}; tee -q -o {} stat -tech cmos", b.top, (out / "stat.txt").string());
  std::string bb;
  for (const std::string& f : b.memories) bb += " t:" + fs::path(f).stem().string();
  if (!bb.empty()) s += fmt::format("; tee -q -o {} dump{}", (out / "macros.txt").string(), bb);
  return s;
}

// Reads Yosys's stat (and the macros' dump) into a BlockArea.
void parse_stat(const fs::path& dir, BlockArea& a) {
  std::istringstream stat(detail::slurp(dir / "stat.txt"));
  const std::regex cells_re(R"(^\s*Number of cells:\s*(\d+))"), type_re(R"(^\s+(\S+)\s+(\d+)\s*$)"),
      tr_re(R"(Estimated number of transistors:\s*(\d+))");
  bool in_cells = false;
  std::smatch m;
  for (std::string line; std::getline(stat, line);) {
    if (std::regex_search(line, m, cells_re)) {
      a.cells = std::stoll(m[1]);
      in_cells = true;
    } else if (std::regex_search(line, m, tr_re)) {
      a.transistors_estimate = std::stoll(m[1]);
      in_cells = false;
    } else if (in_cells && std::regex_match(line, m, type_re)) {
      const std::string type = m[1];
      const int64_t n = std::stoll(m[2]);
      a.cell_types[type] = n;
      if (type.rfind("$_DFF", 0) == 0 || type.rfind("$_SDFF", 0) == 0) a.flip_flops += n;
      if (type[0] != '$') a.macro_cells += n;
    } else if (in_cells && line.find_first_not_of(" \t") == std::string::npos) {
      in_cells = false;
    }
  }
  if (a.cells == 0) throw Error("rtl: synthesis of " + a.block + ": no cell count in Yosys's statistics");
  if (!fs::exists(dir / "macros.txt")) return;
  std::istringstream dump(detail::slurp(dir / "macros.txt"));
  const std::regex cell_re(R"(^\s*cell \\(\S+) \\(\S+))"), par_re(R"(^\s*parameter \\(\S+) (-?\d+)\s*$)");
  std::string module, instance;
  std::map<std::string, int64_t> params;
  const auto flush = [&] {
    if (!module.empty()) a.macros.push_back(macro_of(module, instance, params));
    module.clear();
    params.clear();
  };
  for (std::string line; std::getline(dump, line);) {
    if (std::regex_search(line, m, cell_re)) {
      flush();
      module = m[1];
      instance = m[2];
    } else if (!module.empty() && std::regex_search(line, m, par_re)) {
      params[m[1]] = std::stoll(m[2]);
    }
  }
  flush();
}

nlohmann::json to_json(const BlockArea& a) {
  nlohmann::json macros = nlohmann::json::array();
  for (const MacroInstance& m : a.macros)
    macros.push_back({{"module", m.module}, {"instance", m.instance}, {"what", m.what}, {"words", m.words},
                      {"word_bits", m.word_bits}, {"bits", m.bits}});
  return {{"block", a.block}, {"top", a.top}, {"params", params_text(a.params)}, {"configuration", a.configuration},
          {"cells", a.cells}, {"flip_flops", a.flip_flops}, {"macro_cells", a.macro_cells},
          {"transistors_estimate", a.transistors_estimate}, {"macros", macros}, {"cell_types", a.cell_types},
          {"seconds", a.seconds}};
}

}  // namespace

std::vector<std::string> area_table_blocks() {
  std::vector<std::string> out;
  for (const BlockSources& b : all_blocks())
    if (b.area_table) out.push_back(b.name);
  return out;
}

RtlParams synth_params(const std::string& block, const arch::ChipDescription& chip) {
  const ChipRtl rtl = chip_rtl(chip);
  rtl.require(block, "synthesis of " + block);
  if (block == "lane_array") return rtl.neurocore.lane_array_verilog();
  if (block == "neurocore") return rtl.neurocore.verilog();
  if (block == "router") return rtl.router.verilog();
  if (block == "mesh") return rtl.mesh.verilog();
  if (block == "event_out") return {{"FlowWidth", rtl.router.flow_bits}};  // the flit's flow field
  return {};
}

BlockArea synthesize_block(const std::string& block, const RtlParams& params, const SynthOptions& o) {
  const fs::path rtl = rtl_source_dir();
  const BlockSources b = block_sources(block);
  const std::string ptext = params_text(params);
  // The key: the block, its parameters, Yosys, the script and every file it reads.
  const auto key = [&](const fs::path& root) {
    detail::Hasher h;
    h.add("synth", "1");
    h.add("block", block);
    h.add("params", ptext);
    h.add("yosys", yosys_version());
    h.add("script", yosys_script(b, params, "RTL", "OUT"));
    h.add_file("file " + b.package, root / b.package);
    for (const std::string& f : b.sources) h.add_file("file " + f, root / f);
    return h.hex();
  };
  const std::string hash = key(rtl);
  const fs::path cache = o.cache_dir.empty() ? fs::path(rtl_cache_dir()) : fs::path(o.cache_dir);
  const std::string what = fmt::format("{} ({})", block, ptext.empty() ? std::string("no parameters") : ptext);
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const auto complete = [](const fs::path& d) { return fs::is_regular_file(d / "result.json"); };
  const auto make = [&](const fs::path& tmp) {
    for (const std::string& f : std::vector<std::string>{b.package}) {
      fs::create_directories((tmp / "src" / f).parent_path());
      fs::copy_file(rtl / f, tmp / "src" / f);
    }
    for (const std::string& f : b.sources) {
      fs::create_directories((tmp / "src" / f).parent_path());
      fs::copy_file(rtl / f, tmp / "src" / f, fs::copy_options::overwrite_existing);
    }
    if (key(tmp / "src") != hash)
      throw Error(fmt::format("rtl: the RTL sources in {} changed while synthesizing {}; run again", rtl.string(), what));
    say(o, fmt::format("synthesizing {} with Yosys: not in the cache {} ...", what, cache.string()));
    double last = 0;
    const std::regex pass_re(R"(^(\d+\.\d+)\. Executing (\S+) pass)");
    const auto on_line = [&](const std::string& line) {
      std::smatch m;
      if (elapsed() - last >= 20 && std::regex_search(line, m, pass_re)) {  // a heartbeat
        say(o, fmt::format("  {} Yosys {} ({:.0f} s)", block, m[2].str(), elapsed()));
        last = elapsed();
      }
    };
    const fs::path log = tmp / "yosys.log";
    const int rc = detail::run_logged({NRK_YOSYS, "-p", yosys_script(b, params, tmp / "src", tmp)}, log, on_line);
    if (rc != 0) {
      std::error_code ec;
      const fs::path kept = cache / fmt::format("synth-{}-{}.failed.log", block, hash);
      fs::copy_file(log, kept, fs::copy_options::overwrite_existing, ec);
      throw Error(fmt::format("rtl: Yosys failed on {} (exit status {}); the end of its log:\n{}full log: {}", what, rc,
                              detail::log_tail(log, 20), kept.string()));
    }
    BlockArea a;
    a.block = block;
    a.top = b.top;
    a.params = params;
    a.configuration = configuration(block, params);
    a.seconds = elapsed();
    parse_stat(tmp, a);
    std::ofstream(tmp / "result.json") << to_json(a).dump(2) << "\n";
    // The Yosys log of a large block is large: keep its end.
    std::ofstream(tmp / "yosys-tail.log") << detail::log_tail(log, 200);
    std::error_code ec;
    fs::remove(log, ec);
  };
  const detail::CachedEntry e = detail::cached_entry(cache, fmt::format("synth-{}-{}", block, hash), complete, make,
                                                     [&](const std::string& w) { say(o, w); });
  const nlohmann::json j = nlohmann::json::parse(detail::slurp(e.dir / "result.json"));
  BlockArea a;
  a.block = block;
  a.top = b.top;
  a.params = params;
  a.configuration = j.at("configuration").get<std::string>();
  a.cells = j.at("cells").get<int64_t>();
  a.flip_flops = j.at("flip_flops").get<int64_t>();
  a.macro_cells = j.at("macro_cells").get<int64_t>();
  a.transistors_estimate = j.at("transistors_estimate").get<int64_t>();
  a.cell_types = j.at("cell_types").get<std::map<std::string, int64_t>>();
  for (const nlohmann::json& m : j.at("macros"))
    a.macros.push_back({m.at("module").get<std::string>(), m.at("instance").get<std::string>(), m.at("what").get<std::string>(),
                        m.at("words").get<int64_t>(), m.at("word_bits").get<int64_t>(), m.at("bits").get<int64_t>()});
  a.cached = !e.built;
  a.seconds = e.built ? elapsed() : 0;
  if (e.built)
    say(o, fmt::format("synthesized {} in {:.0f} s: {} cells, {} flip-flops", what, a.seconds, a.cells, a.flip_flops));
  return a;
}

SynthResult synthesize(const arch::ChipDescription& chip, const SynthOptions& o) {
  SynthResult r;
  r.chip = chip.name;
  r.yosys = yosys_version();
  const std::vector<std::string> blocks = o.blocks.empty() ? area_table_blocks() : o.blocks;
  for (const std::string& b : blocks) r.blocks.push_back(synthesize_block(b, synth_params(b, chip), o));
  return r;
}

}  // namespace neurark::rtl
