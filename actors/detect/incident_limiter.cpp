#include "actors/detect/incident_limiter.hpp"

namespace vigil {

incident_limiter::incident_limiter(incident_config config) : config_(config) {
  // nop
}

std::vector<incident_event>
incident_limiter::observe(int64_t t_ms, const scored_point& point) {
  std::vector<incident_event> events;
  if (open_ && t_ms - current_.last_anomalous_ms >= config_.clean_period_ms) {
    current_.what = incident_event::kind::closed;
    current_.closed_ms = t_ms;
    events.push_back(current_);
    open_ = false;
  }
  if (!point.anomalous())
    return events;
  if (!open_) {
    open_ = true;
    ++opened_;
    current_ = incident_event{};
    current_.started_ms = t_ms;
    current_.what = incident_event::kind::opened;
  }
  current_.last_anomalous_ms = t_ms;
  ++current_.anomalous_samples;
  if (point.score > current_.peak_score) {
    current_.peak_score = point.score;
    current_.detector = point.detector;
  }
  if (current_.anomalous_samples == 1)
    events.push_back(current_);
  return events;
}

std::optional<incident_event> incident_limiter::finish(int64_t t_ms) {
  if (!open_)
    return std::nullopt;
  open_ = false;
  current_.what = incident_event::kind::closed;
  current_.closed_ms = t_ms;
  return current_;
}

} // namespace vigil
