#include "runtime/options.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vigil {

namespace {

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string env_name(const std::string& option) {
  std::string out = "VIGIL_";
  for (auto c : option)
    out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

bool parse_bool(const std::string& text, bool& out) {
  std::string t;
  for (auto c : text)
    t += static_cast<char>(std::tolower(c));
  if (t == "1" || t == "true" || t == "yes" || t == "on") {
    out = true;
    return true;
  }
  if (t == "0" || t == "false" || t == "no" || t == "off") {
    out = false;
    return true;
  }
  return false;
}

} // namespace

bool parse_duration(const std::string& text, std::chrono::milliseconds& out) {
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])))
    return false;
  errno = 0;
  char* end = nullptr;
  auto value = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0)
    return false;
  std::string unit{end};
  uint64_t factor = 0;
  if (unit.empty() || unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else
    return false;
  if (value > UINT64_MAX / factor / 2)
    return false;
  out = std::chrono::milliseconds{static_cast<int64_t>(value * factor)};
  return true;
}

option_set::option_set(std::string command) : command_(std::move(command)) {
  // nop
}

void option_set::declare(const std::string& name, const std::string& help,
                         std::string default_text, bool is_flag,
                         std::function<std::string(const std::string&)> set) {
  options_.push_back(
      option{name, help, std::move(default_text), is_flag, std::move(set)});
}

void option_set::add(const std::string& name, const std::string& help,
                     std::string* target) {
  declare(name, help, *target, false, [target](const std::string& v) {
    *target = v;
    return std::string{};
  });
}

void option_set::add(const std::string& name, const std::string& help,
                     uint64_t* target) {
  declare(name, help, std::to_string(*target), false,
          [target](const std::string& v) {
            errno = 0;
            char* end = nullptr;
            auto x = std::strtoull(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-')
              return std::string{"expects a non-negative integer"};
            *target = x;
            return std::string{};
          });
}

void option_set::add(const std::string& name, const std::string& help,
                     std::chrono::milliseconds* target) {
  declare(name, help, std::to_string(target->count()) + "ms", false,
          [target](const std::string& v) {
            if (!parse_duration(v, *target))
              return std::string{
                  "expects a duration such as 500ms, 10s, 5m or 1h"};
            return std::string{};
          });
}

void option_set::add(const std::string& name, const std::string& help,
                     bool* target) {
  declare(name, help, *target ? "true" : "false", true,
          [target](const std::string& v) {
            if (!parse_bool(v, *target))
              return std::string{"expects true or false"};
            return std::string{};
          });
}

void option_set::add(const std::string& name, const std::string& help,
                     std::vector<std::string>* target) {
  declare(name, help, "(repeatable)", false, [target](const std::string& v) {
    target->push_back(v);
    return std::string{};
  });
}

const option_set::option* option_set::find(const std::string& name) const {
  auto i = std::find_if(options_.begin(), options_.end(),
                        [&](const option& o) { return o.name == name; });
  return i == options_.end() ? nullptr : &*i;
}

std::string option_set::apply(const option& opt, const std::string& value,
                              const std::string& origin) {
  auto err = opt.set(value);
  if (err.empty())
    return err;
  return origin + ": " + opt.name + " " + err + " (got '" + value + "')";
}

std::string option_set::load_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return "cannot read config file " + path
           + ": check the path given to --config or VIGIL_CONFIG";
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto hash = line.find('#');
    if (hash != std::string::npos)
      line.resize(hash);
    line = trim(line);
    if (line.empty())
      continue;
    auto origin = path + ":" + std::to_string(n);
    auto eq = line.find('=');
    if (eq == std::string::npos)
      return origin + ": expected 'key = value', got '" + line + "'";
    auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    const auto* opt = find(key);
    if (opt == nullptr)
      return origin + ": unknown setting '" + key + "'; run 'vigil " + command_
             + " --help' for the list";
    if (auto err = apply(*opt, value, origin); !err.empty())
      return err;
  }
  return {};
}

std::string option_set::parse(int argc, char** argv, char** envp) {
  // 1. The file named by --config or VIGIL_CONFIG.
  std::string config;
  if (const char* env = std::getenv("VIGIL_CONFIG"))
    config = env;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc)
      config = argv[i + 1];
    else if (arg.rfind("--config=", 0) == 0)
      config = arg.substr(9);
  }
  if (!config.empty())
    if (auto err = load_file(config); !err.empty())
      return err;
  // 2. The environment.
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (kv.rfind("VIGIL_", 0) != 0 || eq == std::string::npos)
      continue;
    auto key = kv.substr(0, eq);
    for (const auto& opt : options_)
      if (env_name(opt.name) == key)
        if (auto err = apply(opt, kv.substr(eq + 1), "environment " + key);
            !err.empty())
          return err;
  }
  // 3. Flags.
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_requested = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      return "unexpected argument '" + arg + "'; flags start with --, run "
             + "'vigil " + command_ + " --help'";
    auto name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (name == "config") {
      if (!has_value)
        ++i;
      continue;
    }
    const auto* opt = find(name);
    if (opt == nullptr)
      return "unknown flag --" + name + "; run 'vigil " + command_
             + " --help' for the list";
    if (!has_value) {
      if (opt->is_flag) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return "flag --" + name + " needs a value, e.g. --" + name + " VALUE";
      }
    }
    if (auto err = apply(*opt, value, "flag"); !err.empty())
      return err;
  }
  return {};
}

std::string option_set::help() const {
  std::ostringstream out;
  out << "usage: vigil " << command_ << " [flags]\n\n"
      << "Settings come from --config FILE (key = value lines), then "
         "VIGIL_<NAME> environment variables, then flags.\n\n";
  for (const auto& opt : options_) {
    std::string flag = "  --" + opt.name + (opt.is_flag ? "" : " VALUE");
    out << flag;
    if (flag.size() < 30)
      out << std::string(30 - flag.size(), ' ');
    else
      out << "\n" << std::string(30, ' ');
    out << opt.help;
    if (!opt.default_text.empty())
      out << " [" << opt.default_text << "]";
    out << "\n";
  }
  out << "  --config FILE                 settings file\n"
      << "  --help                        this text\n";
  return out.str();
}

} // namespace vigil
