#include "runtime/log.hpp"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <string>

namespace vigil {

namespace {

std::atomic<int> threshold{static_cast<int>(log_level::info)};

} // namespace

void set_log_threshold(log_level level) noexcept {
  threshold = static_cast<int>(level);
}

bool log_enabled(log_level level) noexcept {
  return static_cast<int>(level) >= threshold.load();
}

void log(log_level level, std::string_view component, std::string_view text) {
  if (!log_enabled(level))
    return;
  std::string line;
  line.reserve(component.size() + text.size() + 3);
  if (!component.empty()) {
    line += component;
    line += ": ";
  }
  line += text;
  line += '\n';
  // One write of the whole line: stderr is unbuffered.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void logf(log_level level, std::string_view component, const char* format,
          ...) {
  if (!log_enabled(level))
    return;
  std::string text(256, '\0');
  va_list args;
  va_start(args, format);
  auto n = std::vsnprintf(text.data(), text.size(), format, args);
  va_end(args);
  if (n < 0)
    return;
  if (static_cast<size_t>(n) >= text.size()) {
    text.resize(static_cast<size_t>(n) + 1);
    va_start(args, format);
    std::vsnprintf(text.data(), text.size(), format, args);
    va_end(args);
  }
  text.resize(static_cast<size_t>(n));
  log(level, component, text);
}

} // namespace vigil
