// SPDX-License-Identifier: Apache-2.0
// neurark/arch/yaml_section.hpp: strict reading of one YAML mapping against a schema, for every
// neurark YAML format (chip descriptions, energy and technology tables, sweep spaces). Every failure throws neurark::Error naming the
// file, line, key path, the value found and what was expected; unknown and repeated keys are
// refused.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "neurark/arch/error.hpp"

namespace neurark::arch::detail {

// Walks one YAML mapping, checking every key against the schema.
class Section {
 public:
  Section(const std::string& file, const YAML::Node& node, std::string path)
      : file_(file), node_(node), path_(std::move(path)) {
    if (!node_.IsMap()) fail(node_, path_.empty() ? "(top level)" : path_, describe(node_), "a mapping of keys");
    // YAML allows a key twice in a mapping and readers keep one of them silently: refuse.
    std::map<std::string, int> seen;
    for (const auto& kv : node_) {
      // Keys are names: a list, a mapping or null as a key is refused here, once, with its line.
      if (!kv.first.IsScalar() || kv.first.Tag() == "tag:yaml.org,2002:null" || kv.first.Scalar() == "~")
        throw Error(fmt::format("{}:{}: {}: a key that is {}, expected keys that are names", file_, kv.first.Mark().line + 1,
                                path_.empty() ? "(top level)" : path_,
                                kv.first.IsScalar() || kv.first.IsNull() ? "null" : describe(kv.first)));
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

  // Refuses a value the format knows but this build does not model, saying why.
  [[noreturn]] void unsupported(const std::string& key, const std::string& why) {
    const YAML::Node n = child(key, false);
    throw Error(fmt::format("{}:{}: {}: {} is not supported: {}", file_, (n ? n : node_).Mark().line + 1, key_path(key),
                            n && n.IsScalar() ? n.Scalar() : std::string("the value"), why));
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& path, const std::string& value,
                         const std::string& expected) const {
    throw Error(fmt::format("{}:{}: {}: value {} is not valid, expected {}", file_, n.Mark().line + 1,
                            path, value, expected));
  }

  std::string key_path(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  // The keys of this mapping in file order, all marked read (for maps whose keys are data).
  std::vector<std::string> keys() {
    std::vector<std::string> out;
    for (const auto& kv : node_) {
      out.push_back(kv.first.as<std::string>());
      read_.insert(out.back());
    }
    return out;
  }
  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }

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

// Parses a YAML document that must be a mapping; `what` names it in errors ("chip description").
inline YAML::Node load_yaml(const std::string& text, const std::string& path, const std::string& what) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(fmt::format("{}:{}: not valid YAML: {}", path, e.mark.line + 1, e.msg));
  }
  if (!root || root.IsNull()) throw Error(fmt::format("{}: empty {} (expected a YAML mapping)", path, what));
  return root;
}

// Checks the `format` and `version` keys every neurark YAML file starts with.
inline void check_format(Section& top, const YAML::Node& root, const std::string& format, int64_t version) {
  const std::string f = top.text("format", "", true);
  if (f != format) top.fail(root["format"], "format", "'" + f + "'", "'" + format + "'");
  const int64_t v = top.integer("version", 1, 1000, 0, true);
  if (v != version)
    top.fail(root["version"], "version", std::to_string(v), fmt::format("{} (the version this neurark reads)", version));
}

}  // namespace neurark::arch::detail
