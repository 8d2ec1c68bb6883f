#pragma once

// Checks a JSON value against the subset of JSON Schema that schemas/ uses:
// type (one or a list), required, properties, items, enum, const, minimum,
// maximum, minLength, maxLength and local "$ref": "#/..." references.

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil::test {

/// The source tree: $VIGIL_SOURCE_DIR (set by ctest), else where this file
/// is.
inline std::string source_tree() {
  if (const char* env = std::getenv("VIGIL_SOURCE_DIR"))
    return env;
  return std::filesystem::path{__FILE__}
      .parent_path()
      .parent_path()
      .parent_path()
      .string();
}

/// Reads and parses schemas/<name> of the source tree (discarded if absent
/// or malformed).
inline nlohmann::json read_schema(const std::string& name) {
  std::ifstream in{source_tree() + "/schemas/" + name};
  std::stringstream buf;
  buf << in.rdbuf();
  return nlohmann::json::parse(buf.str(), nullptr, false);
}

namespace detail {

inline bool has_type(const nlohmann::json& x, const std::string& type) {
  if (type == "object")
    return x.is_object();
  if (type == "array")
    return x.is_array();
  if (type == "string")
    return x.is_string();
  if (type == "integer")
    return x.is_number_integer();
  if (type == "number")
    return x.is_number();
  if (type == "boolean")
    return x.is_boolean();
  if (type == "null")
    return x.is_null();
  return false;
}

inline void check(const nlohmann::json& root, const nlohmann::json& schema,
                  const nlohmann::json& x, const std::string& path,
                  std::vector<std::string>& errors) {
  if (auto ref = schema.find("$ref"); ref != schema.end()) {
    auto pointer = ref->get<std::string>().substr(1); // "#/a/b" -> "/a/b"
    check(root, root.at(nlohmann::json::json_pointer{pointer}), x, path,
          errors);
    return;
  }
  if (auto type = schema.find("type"); type != schema.end()) {
    bool ok = false;
    if (type->is_array()) {
      for (const auto& t : *type)
        ok = ok || has_type(x, t.get<std::string>());
    } else {
      ok = has_type(x, type->get<std::string>());
    }
    if (!ok) {
      errors.push_back(path + ": " + x.dump() + " is not of type "
                       + type->dump());
      return;
    }
  }
  if (auto c = schema.find("const"); c != schema.end() && *c != x)
    errors.push_back(path + ": " + x.dump() + " is not " + c->dump());
  if (auto e = schema.find("enum"); e != schema.end()) {
    bool found = false;
    for (const auto& v : *e)
      found = found || v == x;
    if (!found)
      errors.push_back(path + ": " + x.dump() + " is not one of " + e->dump());
  }
  if (x.is_number()) {
    auto v = x.get<double>();
    if (auto m = schema.find("minimum"); m != schema.end() && v < *m)
      errors.push_back(path + ": " + x.dump() + " < " + m->dump());
    if (auto m = schema.find("maximum"); m != schema.end() && v > *m)
      errors.push_back(path + ": " + x.dump() + " > " + m->dump());
  }
  if (x.is_string()) {
    auto n = x.get<std::string>().size();
    if (auto m = schema.find("minLength"); m != schema.end() && n < *m)
      errors.push_back(path + ": shorter than " + m->dump());
    if (auto m = schema.find("maxLength"); m != schema.end() && n > *m)
      errors.push_back(path + ": longer than " + m->dump());
  }
  if (x.is_object()) {
    if (auto req = schema.find("required"); req != schema.end())
      for (const auto& key : *req)
        if (!x.contains(key.get<std::string>()))
          errors.push_back(path + ": missing " + key.dump());
    if (auto props = schema.find("properties"); props != schema.end())
      for (const auto& [key, sub] : props->items())
        if (x.contains(key))
          check(root, sub, x.at(key), path + "/" + key, errors);
  }
  if (x.is_array())
    if (auto items = schema.find("items"); items != schema.end())
      for (size_t i = 0; i < x.size(); ++i)
        check(root, *items, x[i], path + "/" + std::to_string(i), errors);
}

} // namespace detail

/// Everything in `x` that `schema` (a part of the document `root`) forbids;
/// empty if `x` conforms.
inline std::vector<std::string> shape_errors(const nlohmann::json& root,
                                             const nlohmann::json& schema,
                                             const nlohmann::json& x) {
  std::vector<std::string> errors;
  detail::check(root, schema, x, "", errors);
  return errors;
}

} // namespace vigil::test
