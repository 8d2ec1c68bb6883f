#pragma once

// Flag parsing of `vigil broker` and `vigil generate`, kept out of the
// executable so that tests can link it. Errors say what is wrong and how to
// fix it; the commands print them and exit 2.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/generator/generator.hpp"
#include "runtime/embedded_broker.hpp"
#include "runtime/expected.hpp"

namespace vigil {

/// Parsed flags of `vigil broker`.
struct broker_flags {
  /// The broker to start.
  broker_options options;
  /// True if --help was given.
  bool help = false;
};

/// Parses the flags of `vigil broker` (without the command name).
expected<broker_flags> parse_broker_flags(const std::vector<std::string>& args);

/// The --help text of `vigil broker`.
const char* broker_usage() noexcept;

/// Parsed flags of `vigil generate`.
struct generate_flags {
  /// What to generate and where.
  generate_options options;
  /// True if --help was given.
  bool help = false;
};

/// Parses the flags of `vigil generate` (without the command name); `now_ms`
/// is used for `--start-time now`.
expected<generate_flags>
parse_generate_flags(const std::vector<std::string>& args, int64_t now_ms);

/// The --help text of `vigil generate`.
const char* generate_usage() noexcept;

/// Parses "now" (as `now_ms`), epoch milliseconds, or an RFC 3339 time
/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)`.
expected<int64_t> parse_start_time(std::string_view text, int64_t now_ms);

} // namespace vigil
