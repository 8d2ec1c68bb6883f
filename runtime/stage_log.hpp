#pragma once

#include <functional>
#include <string>

#include "runtime/log.hpp"

namespace vigil {

/// Where a pipeline stage (db_writer, narrator, detector) writes its log
/// lines; empty means standard error. Tests capture the lines with it.
using stage_log = std::function<void(const std::string&)>;

/// Writes `line` to `log`, or to standard error when `log` is empty.
inline void log_line(const stage_log& log, const std::string& line) {
  if (log)
    log(line);
  else
    vigil::log(log_level::info, {}, line);
}

/// Restores a stage's domain logic from its checkpoint snapshot `state`
/// (empty: nothing stored) and clears `state`. A malformed snapshot must not
/// stop the pipeline: `logic` keeps its fresh state and `complaint()` is
/// logged. Returns false only in that case.
template <class Logic, class Complaint>
bool restore_stage(Logic& logic, std::string& state, const stage_log& log,
                   Complaint complaint) {
  bool ok = state.empty() || logic.restore(state);
  if (!ok)
    log_line(log, complaint());
  state.clear();
  return ok;
}

} // namespace vigil
