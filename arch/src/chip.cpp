// Chip description reader and validator: see neurark/arch/chip.hpp and docs/chip-format.md.
#include "neurark/arch/chip.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "neurark/arch/error.hpp"

namespace neurark::arch {

const char* to_string(WeightEncoding e) {
  return e == WeightEncoding::kPacked2 ? "packed2" : "sparse";
}
const char* to_string(FlowControl f) { return f == FlowControl::kCredit ? "credit" : "on_off"; }

namespace {

constexpr int kFormatVersion = 1;

// Walks one YAML mapping, checking every key against the schema.
class Section {
 public:
  Section(const std::string& file, const YAML::Node& node, std::string path)
      : file_(file), node_(node), path_(std::move(path)) {
    if (!node_.IsMap()) fail(node_, path_.empty() ? "(top level)" : path_, describe(node_), "a mapping of keys");
    // YAML allows a key twice in a mapping and readers keep one of them silently: refuse.
    std::map<std::string, int> seen;
    for (const auto& kv : node_) {
      const auto k = kv.first.as<std::string>();
      const int line = kv.first.Mark().line + 1;
      auto [it, fresh] = seen.emplace(k, line);
      if (!fresh)
        throw Error(fmt::format("{}:{}: key '{}' appears twice in one mapping (lines {} and {}), expected it once",
                                file_, line, key_path(k), it->second, line));
    }
  }

  // Fails on any key not read by the time this is called.
  void finish(const char* allowed) {
    for (const auto& kv : node_) {
      const auto k = kv.first.as<std::string>();
      if (read_.count(k) == 0)
        throw Error(fmt::format("{}:{}: unknown key '{}' (allowed here: {})", file_,
                                kv.first.Mark().line + 1, key_path(k), allowed));
    }
  }

  bool has(const std::string& key) const {
    const YAML::Node& cn = node_;  // const: operator[] must not insert
    return static_cast<bool>(cn[key]);
  }

  YAML::Node child(const std::string& key, bool required) {
    read_.insert(key);
    const YAML::Node& cn = node_;  // const: operator[] must not insert
    const YAML::Node n = cn[key];
    if (!n && required) {
      // A present key that starts like the missing one is probably a misspelling of it.
      std::string hint;
      for (const auto& kv : node_) {
        const auto k = kv.first.as<std::string>();
        if (k.size() >= 3 && key.size() >= 3 && k.compare(0, 3, key, 0, 3) == 0)
          hint = fmt::format(" (found unknown key '{}' at line {}: misspelled?)", key_path(k), kv.first.Mark().line + 1);
      }
      throw Error(fmt::format("{}:{}: missing required key '{}'{}", file_, node_.Mark().line + 1, key_path(key), hint));
    }
    return n;
  }

  Section section(const std::string& key, bool required) {
    const YAML::Node n = child(key, required);
    return Section(file_, n ? n : YAML::Node(YAML::NodeType::Map), key_path(key));
  }

  int64_t integer(const std::string& key, int64_t lo, int64_t hi, int64_t def, bool required = false) {
    const YAML::Node n = child(key, required);
    if (!n) return def;
    int64_t v = 0;
    const std::string s = n.IsScalar() ? n.Scalar() : "";
    bool ok = n.IsScalar() && !s.empty() && s.find_first_not_of("+-0123456789_") == std::string::npos;
    if (ok) {
      try {
        v = n.as<int64_t>();
      } catch (const YAML::Exception&) {
        ok = false;
      }
    }
    if (!ok) fail(n, key_path(key), describe(n), fmt::format("an integer in [{}, {}]", lo, hi));
    if (v < lo || v > hi) fail(n, key_path(key), s, fmt::format("an integer in [{}, {}]", lo, hi));
    return v;
  }

  double number(const std::string& key, double lo, double hi, double def, bool required = false) {
    const YAML::Node n = child(key, required);
    if (!n) return def;
    double v = 0.0;
    bool ok = n.IsScalar();
    if (ok) {
      try {
        v = n.as<double>();
      } catch (const YAML::Exception&) {
        ok = false;
      }
    }
    if (!ok || !std::isfinite(v)) fail(n, key_path(key), describe(n), fmt::format("a number in [{:g}, {:g}]", lo, hi));
    if (v < lo || v > hi) fail(n, key_path(key), n.Scalar(), fmt::format("a number in [{:g}, {:g}]", lo, hi));
    return v;
  }

  bool boolean(const std::string& key, bool def) {
    const YAML::Node n = child(key, false);
    if (!n) return def;
    const std::string s = n.IsScalar() ? n.Scalar() : "";
    if (s == "true") return true;
    if (s == "false") return false;
    fail(n, key_path(key), describe(n), "true or false");
  }

  std::string text(const std::string& key, const std::string& def, bool required = false) {
    const YAML::Node n = child(key, required);
    if (!n) return def;
    if (!n.IsScalar()) fail(n, key_path(key), describe(n), "a string");
    return n.Scalar();
  }

  std::string choice(const std::string& key, std::initializer_list<const char*> options, const std::string& def) {
    const YAML::Node n = child(key, false);
    if (!n) return def;
    std::string list;
    for (const char* o : options) list += (list.empty() ? "" : " | ") + std::string(o);
    if (n.IsScalar())
      for (const char* o : options)
        if (n.Scalar() == o) return o;
    fail(n, key_path(key), describe(n), "one of " + list);
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& path, const std::string& value,
                         const std::string& expected) const {
    throw Error(fmt::format("{}:{}: {}: value {} is not valid, expected {}", file_, n.Mark().line + 1,
                            path, value, expected));
  }

  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

 private:
  static std::string describe(const YAML::Node& n) {
    if (!n || n.IsNull()) return "(empty)";
    if (n.IsScalar()) return "'" + n.Scalar() + "'";
    if (n.IsSequence()) return "(a list)";
    return "(a mapping)";
  }

  std::string file_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string> read_;
};

}  // namespace

ChipDescription ChipDescription::from_yaml_text(const std::string& text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg));
  }
  if (!root || root.IsNull()) throw Error(path + ": empty chip description (expected a YAML mapping)");
  Section top(path, root, "");
  ChipDescription c;
  c.source_path = path;
  const std::string format = top.text("format", "", true);
  if (format != "neurark-chip")
    top.fail(root["format"], "format", "'" + format + "'", "'neurark-chip'");
  const int64_t version = top.integer("version", 1, 1000, 0, true);
  if (version != kFormatVersion)
    top.fail(root["version"], "version", std::to_string(version),
             fmt::format("{} (the version this neurark reads)", kFormatVersion));
  c.name = top.text("name", "", true);
  c.description = top.text("description", "");
  c.clock_hz = top.number("clock_hz", 1e3, 1e11, c.clock_hz, true);

  Section tech = top.section("technology", true);
  c.technology_node_nm = tech.integer("node_nm", 1, 1000, c.technology_node_nm, true);
  c.energy_table = tech.text("energy_table", "");
  tech.finish("node_nm, energy_table");

  Section mesh = top.section("mesh", true);
  c.mesh_width = mesh.integer("width", 1, 1024, c.mesh_width, true);
  c.mesh_height = mesh.integer("height", 1, 1024, c.mesh_height, true);
  mesh.finish("width, height");

  Section core = top.section("neurocore", true);
  NeurocoreParams& p = c.core;
  p.lanes = core.integer("lanes", 1, 4096, p.lanes, true);
  p.synapse_sram_bytes = core.integer("synapse_sram_bytes", 64, int64_t{1} << 34, p.synapse_sram_bytes, true);
  p.sram_port_bits = core.integer("sram_port_bits", 8, 4096, p.sram_port_bits);
  p.accumulators = core.integer("accumulators", 1, 1 << 20, p.accumulators, true);
  p.state_memory_bytes = core.integer("state_memory_bytes", 0, int64_t{1} << 30, p.state_memory_bytes);
  p.input_fifo_depth = core.integer("input_fifo_depth", 1, 1 << 20, p.input_fifo_depth);
  p.output_fifo_depth = core.integer("output_fifo_depth", 1, 1 << 20, p.output_fifo_depth);
  p.weight_encoding = core.choice("weight_encoding", {"packed2", "sparse"}, "packed2") == "packed2"
                          ? WeightEncoding::kPacked2
                          : WeightEncoding::kSparse;
  p.sparse_index_bits = core.integer("sparse_index_bits", 4, 32, p.sparse_index_bits);
  p.activation_bits = core.integer("activation_bits", 8, 8, p.activation_bits);
  core.finish("lanes, synapse_sram_bytes, sram_port_bits, accumulators, state_memory_bytes, "
              "input_fifo_depth, output_fifo_depth, weight_encoding, sparse_index_bits, activation_bits");

  Section noc = top.section("noc", true);
  c.noc.link_width_bits = noc.integer("link_width_bits", 8, 4096, c.noc.link_width_bits, true);
  c.noc.router_latency_cycles = noc.integer("router_latency_cycles", 0, 1000, c.noc.router_latency_cycles, true);
  c.noc.link_latency_cycles = noc.integer("link_latency_cycles", 0, 1000, c.noc.link_latency_cycles);
  c.noc.flow_control = noc.choice("flow_control", {"credit", "on_off"}, "credit") == "credit"
                           ? FlowControl::kCredit
                           : FlowControl::kOnOff;
  c.noc.buffer_depth_flits = noc.integer("buffer_depth_flits", 1, 1 << 16, c.noc.buffer_depth_flits);
  noc.finish("link_width_bits, router_latency_cycles, link_latency_cycles, flow_control, buffer_depth_flits");

  if (top.has("multichip")) {
    Section mc = top.section("multichip", false);
    c.multichip.chips_x = mc.integer("chips_x", 1, 64, 1);
    c.multichip.chips_y = mc.integer("chips_y", 1, 64, 1);
    c.multichip.link_width_bits = mc.integer("link_width_bits", 1, 4096, c.multichip.link_width_bits);
    c.multichip.link_latency_cycles = mc.integer("link_latency_cycles", 0, 1 << 20, c.multichip.link_latency_cycles);
    mc.finish("chips_x, chips_y, link_width_bits, link_latency_cycles");
  } else {
    top.child("multichip", false);
  }

  Section host = top.section("host", false);
  c.host.injection_bits_per_cycle = host.integer("injection_bits_per_cycle", 1, 1 << 16, c.host.injection_bits_per_cycle);
  c.host.readback_bits_per_cycle = host.integer("readback_bits_per_cycle", 1, 1 << 16, c.host.readback_bits_per_cycle);
  c.host.attach_x = host.integer("attach_x", 0, c.mesh_width - 1, 0);
  c.host.attach_y = host.integer("attach_y", 0, c.mesh_height - 1, 0);
  host.finish("injection_bits_per_cycle, readback_bits_per_cycle, attach_x, attach_y");

  Section dram = top.section("dram", false);
  c.dram.present = dram.boolean("present", false);
  c.dram.bytes = dram.integer("bytes", 0, int64_t{1} << 50, 0, c.dram.present);
  c.dram.bandwidth_bits_per_cycle = dram.integer("bandwidth_bits_per_cycle", 1, 1 << 20, c.dram.bandwidth_bits_per_cycle);
  c.dram.latency_cycles = dram.integer("latency_cycles", 0, 1 << 20, c.dram.latency_cycles);
  dram.finish("present, bytes, bandwidth_bits_per_cycle, latency_cycles");

  top.finish("format, version, name, description, clock_hz, technology, mesh, neurocore, noc, "
             "multichip, host, dram");
  return c;
}

ChipDescription ChipDescription::from_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": is a directory, expected a chip description file (YAML, e.g. arch/chips/default-4x4.yaml)");
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw Error(path + ": not a regular file, expected a chip description file (YAML)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the chip description");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_yaml_text(ss.str(), path);
}

}  // namespace neurark::arch
