// SPDX-License-Identifier: Apache-2.0
// neurark/arch/json_util.hpp: strict JSON helpers shared by every reader of a JSON-bearing
// format (config.json, safetensors headers, chip image manifests): parsing that rejects
// malformed JSON and duplicate keys, and short descriptions of JSON values for error messages.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "neurark/arch/error.hpp"

namespace neurark::arch {

using nlohmann::json;

// A JSON value as it appears in a message: scalars verbatim (strings quoted, long ones cut),
// containers one level deep ("[4, 8]", "[1, [...]]", "{...}"). Never recurses further, so a
// hostile, deeply nested value cannot blow the stack or the message.
inline std::string show_json(const json& v) {
  constexpr std::size_t kMaxChars = 80;
  constexpr std::size_t kMaxItems = 8;
  auto scalar = [&](const json& s) {
    std::string out = s.dump(-1, ' ', false, json::error_handler_t::replace);
    if (out.size() > kMaxChars) out = out.substr(0, kMaxChars) + "...";
    return out;
  };
  if (v.is_object()) return v.empty() ? "{}" : "{...}";
  if (!v.is_array()) return scalar(v);
  std::string out = "[";
  std::size_t i = 0;
  for (const json& e : v) {
    if (i > 0) out += ", ";
    if (i == kMaxItems) {
      out += fmt::format("... ({} elements)", v.size());
      break;
    }
    out += e.is_array() ? (e.empty() ? "[]" : "[...]") : e.is_object() ? (e.empty() ? "{}" : "{...}")
                                                                        : scalar(e);
    ++i;
  }
  return out + "]";
}

// "a string", "an integer", "a floating-point number", "a boolean", "null", "an array", "an object".
inline const char* json_kind(const json& v) {
  switch (v.type()) {
    case json::value_t::string: return "a string";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a floating-point number";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::null: return "null";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "an unsupported JSON value";
  }
}

// SAX handler that only looks for a key repeated within one object (linear time: nlohmann's
// callback parser is quadratic on long arrays, which large chip-image manifests have).
class DuplicateKeyFinder : public nlohmann::json_sax<json> {
 public:
  std::optional<std::string> duplicate;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override {
    keys_.emplace_back();
    return true;
  }
  bool key(string_t& k) override {
    if (!keys_.empty() && !keys_.back().insert(k).second && !duplicate) duplicate = k;
    return true;
  }
  bool end_object() override {
    if (!keys_.empty()) keys_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  std::vector<std::set<std::string>> keys_;  // one set per open object
};

// Parses `text` (the contents of `what`, e.g. "DIR/config.json" or "X.safetensors: header") and
// rejects malformed JSON and duplicate keys in any object (json.load would silently keep the
// last one, hiding which value was meant). Throws neurark::Error. Linear in the text's size.
template <typename It>
json parse_json_strict(It first, It last, const std::string& what) {
  json j;
  try {
    j = json::parse(first, last, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/false);
  } catch (const json::exception& e) {
    throw Error(fmt::format("{}: not well-formed JSON: {}", what, e.what()));
  }
  DuplicateKeyFinder finder;
  json::sax_parse(first, last, &finder);
  if (finder.duplicate) {
    throw Error(fmt::format("{}: key {} appears more than once in one JSON object, expected unique keys",
                            what, show_json(json(*finder.duplicate))));
  }
  return j;
}

}  // namespace neurark::arch
