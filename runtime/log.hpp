#pragma once

// vigil's log: one line per event on standard error, "<component>: <text>",
// e.g. "vigil: http on http://127.0.0.1:8080" or "merger: ...". Lines below
// the threshold (`set_log_threshold`, default info) are dropped. Writes are
// whole lines, so lines of different threads never interleave.

#include <string>
#include <string_view>

namespace vigil {

/// How much a log line matters.
enum class log_level { debug, info, warning, error };

/// Drops lines below `level` from now on.
void set_log_threshold(log_level level) noexcept;

/// True if a line of `level` is written.
bool log_enabled(log_level level) noexcept;

/// Writes "<component>: <text>" as one line (just `text` if `component` is
/// empty).
void log(log_level level, std::string_view component, std::string_view text);

/// `log` with printf-style formatting of the text (checked by the compiler).
void logf(log_level level, std::string_view component, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

} // namespace vigil
