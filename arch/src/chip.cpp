// SPDX-License-Identifier: Apache-2.0
// Chip description reader and validator: see neurark/arch/chip.hpp and docs/chip-format.md.
#include "neurark/arch/chip.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "neurark/arch/error.hpp"
#include "neurark/arch/noc.hpp"
#include "neurark/arch/yaml_section.hpp"

namespace neurark::arch {

const char* to_string(WeightEncoding e) {
  return e == WeightEncoding::kPacked2 ? "packed2" : "sparse";
}
const char* to_string(FlowControl f) { return f == FlowControl::kCredit ? "credit" : "on_off"; }
const char* to_string(NocEngine e) { return e == NocEngine::kFlit ? "flit" : "analytic"; }

namespace {

using detail::Section;

constexpr int kFormatVersion = 1;

}  // namespace

ChipDescription ChipDescription::from_yaml_text(const std::string& text, const std::string& path) {
  const YAML::Node root = detail::load_yaml(text, path, "chip description");
  Section top(path, root, "");
  ChipDescription c;
  c.source_path = path;
  detail::check_format(top, root, "neurark-chip", kFormatVersion);
  c.name = top.text("name", "", true);
  c.description = top.text("description", "");
  c.clock_hz = top.number("clock_hz", 1e3, 1e11, c.clock_hz, true);

  Section tech = top.section("technology", true);
  c.technology_node_nm = tech.integer("node_nm", 1, 1000, c.technology_node_nm, true);
  c.energy_table = tech.text("energy_table", "");
  c.cost_table = tech.text("cost_table", "");
  c.voltage_v = tech.number("voltage_v", 0.1, 5.0, 0.0);
  if (tech.has("operating_points")) {
    // DVFS: supply (V) -> the highest clock it allows; the chip runs at voltage_v and clock_hz.
    Section ops = tech.section("operating_points", true);
    for (const std::string& k : ops.keys()) {
      char* end = nullptr;
      const double v = std::strtod(k.c_str(), &end);
      if (k.empty() || *end != '\0' || !(v >= 0.1 && v <= 5.0))
        ops.fail(ops.node()[k], ops.key_path(k), "'" + k + "'", "a supply in volts (a number in [0.1, 5])");
      c.operating_points[v] = ops.number(k, 1e3, 1e11, 0.0, true);
    }
    if (c.operating_points.empty()) ops.fail(ops.node(), "technology.operating_points", "(empty)", "at least one supply: clock pair");
    std::string listed;
    for (const auto& [v, f] : c.operating_points) listed += fmt::format("{}{} V: {:g} Hz", listed.empty() ? "" : ", ", v, f);
    if (c.voltage_v <= 0) {
      // No supply named: the lowest one whose clock reaches clock_hz (what a DVFS governor picks).
      for (const auto& [v, f] : c.operating_points)
        if (f >= c.clock_hz) {
          c.voltage_v = v;
          break;
        }
      if (c.voltage_v <= 0)
        top.fail(root["clock_hz"], "clock_hz", fmt::format("{:g} Hz", c.clock_hz),
                 fmt::format("at most {:g} Hz, the highest clock of technology.operating_points ({})",
                             c.operating_points.rbegin()->second, listed));
    }
    const auto op = c.operating_points.find(c.voltage_v);
    if (op == c.operating_points.end())
      tech.fail(tech.node()["voltage_v"], "technology.voltage_v", fmt::format("{} V", c.voltage_v),
                fmt::format("one of the operating points ({})", listed));
    if (c.clock_hz > op->second)
      top.fail(root["clock_hz"], "clock_hz", fmt::format("{:g} Hz", c.clock_hz),
               fmt::format("at most {:g} Hz, the highest clock the operating point at {} V allows (technology.operating_points)",
                           op->second, c.voltage_v));
  }
  tech.finish("node_nm, energy_table, cost_table, voltage_v, operating_points");

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
  p.events.encoding = core.choice("event_encoding", {"absolute", "sigma_delta"}, "absolute") == "absolute"
                          ? EventEncoding::kAbsolute
                          : EventEncoding::kSigmaDelta;
  p.events.threshold = static_cast<int32_t>(core.integer("event_threshold", 0, kEventThresholdMax, p.events.threshold));
  core.finish("lanes, synapse_sram_bytes, sram_port_bits, accumulators, state_memory_bytes, "
              "input_fifo_depth, output_fifo_depth, weight_encoding, sparse_index_bits, activation_bits, "
              "event_encoding, event_threshold");

  Section noc = top.section("noc", true);
  c.noc.link_width_bits = noc.integer("link_width_bits", 8, 4096, c.noc.link_width_bits, true);
  c.noc.router_latency_cycles = noc.integer("router_latency_cycles", 0, 1000, c.noc.router_latency_cycles, true);
  c.noc.link_latency_cycles = noc.integer("link_latency_cycles", 0, 1000, c.noc.link_latency_cycles);
  c.noc.flow_control = noc.choice("flow_control", {"credit", "on_off"}, "credit") == "credit"
                           ? FlowControl::kCredit
                           : FlowControl::kOnOff;
  if (c.noc.flow_control == FlowControl::kOnOff)
    noc.unsupported("flow_control", "on/off backpressure is not modelled yet (the SystemC model's network and the RTL "
                                    "router use credit-based flow control; give credit)");
  c.noc.buffer_depth_flits = noc.integer("buffer_depth_flits", 1, 1 << 16, c.noc.buffer_depth_flits);
  c.noc.engine = noc.choice("engine", {"analytic", "flit"}, "analytic") == "flit" ? NocEngine::kFlit : NocEngine::kAnalytic;
  if (c.noc.engine == NocEngine::kFlit && c.noc.router_latency_cycles < 1)
    noc.fail(noc.child("router_latency_cycles", false), "noc.router_latency_cycles", "0",
             "at least 1 with noc.engine: flit (a flit is switched the cycle after it enters its input FIFO, as in the RTL "
             "router)");
  c.noc.watchdog_cycles = noc.integer("watchdog_cycles", 1, int64_t{1} << 40, c.noc.watchdog_cycles);
  // The longest a working network can go without moving a flit is a credit's round trip.
  const int64_t round_trip = c.noc.router_latency_cycles + 2 * c.noc.link_latency_cycles + 2;
  if (c.noc.watchdog_cycles <= round_trip)
    noc.fail(noc.child("watchdog_cycles", false), "noc.watchdog_cycles", std::to_string(c.noc.watchdog_cycles),
             fmt::format("more than a credit's round trip, router_latency_cycles + 2 x link_latency_cycles + 2 = {} cycles "
                         "(a working network can stay that long without moving a flit)",
                         round_trip));
  noc.finish("link_width_bits, router_latency_cycles, link_latency_cycles, flow_control, buffer_depth_flits, engine, "
             "watchdog_cycles");

  if (top.has("multichip")) {
    Section mc = top.section("multichip", false);
    c.multichip.chips_x = mc.integer("chips_x", 1, 64, 1);
    c.multichip.chips_y = mc.integer("chips_y", 1, 64, 1);
    c.multichip.link_width_bits = mc.integer("link_width_bits", 1, 4096, c.multichip.link_width_bits);
    c.multichip.link_latency_cycles = mc.integer("link_latency_cycles", 0, 1 << 20, c.multichip.link_latency_cycles);
    c.multichip.buffer_depth_flits = mc.integer("buffer_depth_flits", 1, 1 << 16, c.noc.buffer_depth_flits);
    c.multichip.ports_per_edge = mc.integer("ports_per_edge", 1, 4096, 0);
    mc.finish("chips_x, chips_y, link_width_bits, link_latency_cycles, buffer_depth_flits, ports_per_edge");
    // Ports share an edge's border routers: at most one per router of every edge facing a chip.
    for (const auto& [chips, edge, what] : {std::tuple{c.multichip.chips_x, c.mesh_height, "mesh.height"},
                                            std::tuple{c.multichip.chips_y, c.mesh_width, "mesh.width"}})
      if (chips > 1 && c.multichip.ports_per_edge > edge)
        mc.fail(mc.child("ports_per_edge", false), "multichip.ports_per_edge", std::to_string(c.multichip.ports_per_edge),
                fmt::format("at most the {} border routers of a chip edge that faces another chip ({} {})", edge, what, edge));
    // A chip link's credit round trip, as the on-chip one above (its flits take their beats).
    const int64_t beats = chip_link_timing(c).cycles_per_flit;
    const int64_t chip_round_trip = c.noc.router_latency_cycles + 2 * c.multichip.link_latency_cycles + beats + 1;
    if (c.total_cores() > c.cores_per_chip() && c.noc.watchdog_cycles <= chip_round_trip)
      mc.fail(mc.child("link_latency_cycles", false), "multichip.link_latency_cycles",
              std::to_string(c.multichip.link_latency_cycles),
              fmt::format("a chip link whose credit round trip (noc.router_latency_cycles + 2 x link_latency_cycles + beats "
                          "+ 1 = {} cycles) is shorter than noc.watchdog_cycles {} (a working network can stay that long "
                          "without moving a flit: raise noc.watchdog_cycles)",
                          chip_round_trip, c.noc.watchdog_cycles));
    if (c.total_cores() > kMaxCores)
      mc.fail(mc.node(), "multichip", fmt::format("{} x {} chips of {} x {} neurocores = {} neurocores", c.multichip.chips_x,
                                                  c.multichip.chips_y, c.mesh_width, c.mesh_height, c.total_cores()),
              fmt::format("at most {} neurocores in a system (the simulators hold per-core state)", kMaxCores));
  } else {
    top.child("multichip", false);
    c.multichip.buffer_depth_flits = c.noc.buffer_depth_flits;
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

  Section power = top.section("power", false);
  c.power.gate_unused_cores = power.boolean("gate_unused_cores", false);
  power.finish("gate_unused_cores");

  top.finish("format, version, name, description, clock_hz, technology, mesh, neurocore, noc, "
             "multichip, host, dram, power");
  return c;
}

std::string resolve_relative(const std::string& from, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute()) return path;
  return (std::filesystem::path(from).parent_path() / p).lexically_normal().string();
}

ChipDescription ChipDescription::from_file(const std::string& path) { return from_yaml_text(read_text(path), path); }

std::string ChipDescription::read_text(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": is a directory, expected a chip description file (YAML, e.g. arch/chips/default-4x4.yaml)");
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    throw Error(path + ": not a regular file, expected a chip description file (YAML)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the chip description");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void EventOverride::check() const {
  if (threshold && (*threshold < 0 || *threshold > kEventThresholdMax))
    throw Error(fmt::format("--event-threshold: {} is out of range, expected 0 to {} (an activation code, or under sigma_delta a "
                            "change of one, of at most this magnitude sends no event; docs/numerics.md §5b)",
                            *threshold, kEventThresholdMax));
}

std::string chip_text_with(const std::string& text, const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& values) {
  ChipDescription::from_yaml_text(text, path);  // the chip as given must be valid first (its errors name its lines)
  if (values.empty()) return text;
  YAML::Node root = detail::load_yaml(text, path, "chip description");
  for (const auto& [key, value] : values) {
    std::vector<std::string> parts;
    for (std::size_t at = 0;;) {
      const std::size_t dot = key.find('.', at);
      parts.push_back(key.substr(at, dot == std::string::npos ? std::string::npos : dot - at));
      if (dot == std::string::npos) break;
      at = dot + 1;
    }
    YAML::Node n = root;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!n[parts[i]] || !n[parts[i]].IsMap()) n[parts[i]] = YAML::Node(YAML::NodeType::Map);
      n.reset(n[parts[i]]);  // yaml-cpp: assignment would overwrite the node itself
    }
    n[parts.back()] = YAML::Load(value);
  }
  YAML::Emitter e;
  e << root;
  std::string out = e.c_str();
  out += "\n";
  ChipDescription::from_yaml_text(out, path);  // and with the values set (one out of range is named)
  return out;
}

std::string chip_text_with_events(const std::string& text, const std::string& path, const EventOverride& events) {
  events.check();
  std::vector<std::pair<std::string, std::string>> values;
  if (events.encoding) values.emplace_back("neurocore.event_encoding", to_string(*events.encoding));
  if (events.threshold) values.emplace_back("neurocore.event_threshold", std::to_string(*events.threshold));
  return chip_text_with(text, path, values);
}

}  // namespace neurark::arch
