#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace vigil {

/// Parses a duration: a number with unit ms, s, m or h ("250ms", "10s",
/// "5m"); a bare number means milliseconds. Returns false if malformed.
bool parse_duration(const std::string& text, std::chrono::milliseconds& out);

/// A set of named options filled, in order of increasing precedence, from a
/// configuration file (`key = value` lines, `#` comments), the environment
/// (`VIGIL_<NAME>`, dashes as underscores, upper case) and command-line flags
/// (`--name value`, `--name=value`, `--flag`). Every error message says what
/// is wrong and how to fix it.
class option_set {
public:
  /// Creates an option set for `command` (used in messages).
  explicit option_set(std::string command);

  /// Declares a string option.
  void add(const std::string& name, const std::string& help,
           std::string* target);

  /// Declares an unsigned integer option.
  void add(const std::string& name, const std::string& help, uint64_t* target);

  /// Declares a duration option (see parse_duration).
  void add(const std::string& name, const std::string& help,
           std::chrono::milliseconds* target);

  /// Declares a boolean flag: `--name` sets it; files and the environment
  /// accept true/false/1/0/yes/no.
  void add(const std::string& name, const std::string& help, bool* target);

  /// Declares a repeatable string option; each occurrence appends.
  void add(const std::string& name, const std::string& help,
           std::vector<std::string>* target);

  /// Applies file, environment and flags. Positional arguments are refused.
  /// Returns an empty string on success, else the error to print. Sets
  /// `help_requested` when --help was given.
  std::string parse(int argc, char** argv, char** envp);

  /// Loads a `key = value` file; returns an error or "".
  std::string load_file(const std::string& path);

  /// True if --help was given.
  bool help_requested = false;

  /// The usage text: one line per option with its default.
  std::string help() const;

private:
  struct option {
    std::string name;
    std::string help;
    std::string default_text;
    bool is_flag = false;
    std::function<std::string(const std::string&)> set;
  };

  void declare(const std::string& name, const std::string& help,
               std::string default_text, bool is_flag,
               std::function<std::string(const std::string&)> set);

  const option* find(const std::string& name) const;

  std::string apply(const option& opt, const std::string& value,
                    const std::string& origin);

  std::string command_;
  std::vector<option> options_;
};

} // namespace vigil
