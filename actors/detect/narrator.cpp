#include "actors/detect/narrator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "runtime/timestamp.hpp"

namespace vigil {

namespace {

using json = nlohmann::json;

constexpr int snapshot_version = 1;

/// Metrics the detector scores, in the order the summary names them.
constexpr const char* known_metrics[]
    = {"error_rate", "p95_latency_ms", "request_rate"};

std::string metric_label(const std::string& metric) {
  if (metric == "error_rate")
    return "error rate";
  if (metric == "p95_latency_ms")
    return "p95 latency";
  if (metric == "request_rate")
    return "request rate";
  return metric;
}

std::string format_value(const std::string& metric, double value) {
  char buf[64];
  if (metric == "error_rate") {
    auto pct = value * 100;
    std::snprintf(buf, sizeof(buf), "%.*f%%", pct > 0 && pct < 0.1 ? 2 : 1,
                  pct);
  } else if (metric == "p95_latency_ms") {
    std::snprintf(buf, sizeof(buf), "%.*f ms", value < 10 ? 1 : 0, value);
  } else if (metric == "request_rate") {
    std::snprintf(buf, sizeof(buf), "%.*f req/s", value < 10 ? 1 : 0, value);
  } else {
    std::snprintf(buf, sizeof(buf), "%g", value);
  }
  return buf;
}

/// "HH:MM:SS" of an epoch-milliseconds time, in UTC.
std::string utc_clock(int64_t ms) {
  return format_utc(ms, "%H:%M:%S");
}

/// Joins `parts` as "a", "a and b" or "a, b and c".
std::string join_list(const std::vector<std::string>& parts) {
  std::string result;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0)
      result += i + 1 == parts.size() ? " and " : ", ";
    result += parts[i];
  }
  return result;
}

// -- snapshot helpers ---------------------------------------------------------

bool get_int(const json& obj, const char* key, int64_t& out) {
  auto i = obj.find(key);
  if (i == obj.end() || !i->is_number_integer())
    return false;
  out = i->get<int64_t>();
  return true;
}

bool get_double(const json& obj, const char* key, double& out) {
  auto i = obj.find(key);
  if (i == obj.end() || !i->is_number())
    return false;
  out = i->get<double>();
  return std::isfinite(out);
}

bool get_severity(const json& obj, const char* key, severity& out) {
  auto i = obj.find(key);
  if (i == obj.end() || !i->is_string())
    return false;
  out = parse_severity(i->get<std::string>());
  return out != severity::none;
}

} // namespace

severity parse_severity(std::string_view name) noexcept {
  for (auto level :
       {severity::low, severity::medium, severity::high, severity::critical})
    if (name == to_string(level))
      return level;
  return severity::none;
}

incident_narrator::incident_narrator(narrator_config settings)
    : settings_(settings), next_id_(settings.first_id) {
  // nop
}

size_t incident_narrator::open_incidents() const noexcept {
  return static_cast<size_t>(
      std::count_if(services_.begin(), services_.end(),
                    [](const auto& kvp) { return kvp.second.open; }));
}

std::vector<incident_row>
incident_narrator::observe(const std::vector<window_row>& rows,
                           const std::vector<anomaly_row>& anomalies) {
  using window_key = std::pair<std::string_view, int64_t>;
  std::map<window_key, std::vector<const anomaly_row*>> found;
  for (const auto& anomaly : anomalies) {
    auto level = parse_severity(anomaly.severity);
    if (level != severity::none && level >= settings_.min_severity)
      found[window_key{anomaly.service, anomaly.window_start}].push_back(
          &anomaly);
  }
  // Event-time order, whatever order the batch has.
  std::vector<const window_row*> order;
  order.reserve(rows.size());
  for (const auto& row : rows)
    order.push_back(&row);
  std::stable_sort(order.begin(), order.end(), [](auto* x, auto* y) {
    return std::tie(x->window_start, x->service)
           < std::tie(y->window_start, y->service);
  });
  auto clean_limit = std::max<uint32_t>(1, settings_.clean_windows_to_close);
  std::map<int64_t, incident_row> changed;
  for (const auto* row : order) {
    auto i = services_.find(row->service);
    if (i == services_.end()) {
      if (services_.size() >= settings_.max_services) {
        ++overflow_;
        continue;
      }
      i = services_.emplace(row->service, service_state{}).first;
    }
    auto& svc = i->second;
    if (row->window_start <= svc.last_window)
      continue;
    svc.last_window = row->window_start;
    if (row->window_start > event_time_) {
      event_time_ = row->window_start;
      close_quiet(event_time_, changed);
    }
    auto& inc = svc.incident;
    auto hit = found.find(window_key{row->service, row->window_start});
    if (hit == found.end()) {
      if (svc.open && ++inc.clean >= clean_limit)
        close(i->first, svc, changed);
      continue;
    }
    if (!svc.open) {
      svc.open = true;
      inc = incident_state{};
      inc.id = next_id_++;
      inc.started_at = row->window_start;
    }
    inc.last_end = row->window_end;
    inc.clean = 0;
    ++inc.windows;
    for (const auto* anomaly : hit->second) {
      auto level = parse_severity(anomaly->severity);
      ++inc.anomalies;
      inc.level = std::max(inc.level, level);
      auto& peak = inc.metrics[anomaly->metric];
      if (peak.level == severity::none
          || std::fabs(anomaly->score) > std::fabs(peak.score)) {
        peak.observed = anomaly->observed;
        peak.expected = anomaly->expected;
        peak.score = anomaly->score;
      }
      peak.level = std::max(peak.level, level);
    }
    changed[inc.id] = make_row(i->first, inc, true);
  }
  std::vector<incident_row> result;
  result.reserve(changed.size());
  for (auto& kvp : changed)
    result.push_back(std::move(kvp.second));
  return result;
}

void incident_narrator::close_quiet(int64_t time,
                                    std::map<int64_t, incident_row>& changed) {
  for (auto& [service, svc] : services_) {
    if (!svc.open || time - svc.incident.last_end < settings_.quiet_period_ms)
      continue;
    close(service, svc, changed);
  }
}

void incident_narrator::close(const std::string& service, service_state& svc,
                              std::map<int64_t, incident_row>& changed) {
  auto row = make_row(service, svc.incident, false);
  changed[row.id] = row;
  closed_[row.id] = std::move(row);
  while (closed_.size() > closed_rows_kept)
    closed_.erase(closed_.begin());
  svc.open = false;
  svc.incident = incident_state{};
}

std::optional<incident_row> incident_narrator::narrate(int64_t id,
                                                       std::string summary) {
  for (auto& [service, svc] : services_) {
    if (svc.open && svc.incident.id == id) {
      svc.incident.narrative = std::move(summary);
      return make_row(service, svc.incident, true);
    }
  }
  auto closed = closed_.find(id);
  if (closed == closed_.end())
    return std::nullopt;
  closed->second.summary = std::move(summary);
  return closed->second;
}

incident_row incident_narrator::make_row(const std::string& service,
                                         const incident_state& incident,
                                         bool open) {
  incident_row row;
  row.id = incident.id;
  row.service = service;
  row.started_at = incident.started_at;
  row.ended_at = open ? 0 : incident.last_end;
  row.severity = to_string(incident.level);
  row.anomaly_count = incident.anomalies;
  row.summary = incident.narrative.empty() ? summarize(service, incident, open)
                                           : incident.narrative;
  return row;
}

std::string incident_narrator::summarize(const std::string& service,
                                         const incident_state& incident,
                                         bool open) {
  // The worst metrics first: by severity, then by score.
  std::vector<std::pair<std::string, metric_peak>> peaks{
      incident.metrics.begin(), incident.metrics.end()};
  std::stable_sort(peaks.begin(), peaks.end(), [](auto& x, auto& y) {
    if (x.second.level != y.second.level)
      return x.second.level > y.second.level;
    return std::fabs(x.second.score) > std::fabs(y.second.score);
  });
  std::vector<std::string> deviations;
  for (const auto& [metric, peak] : peaks)
    deviations.push_back(
        metric_label(metric)
        + (peak.observed >= peak.expected ? " up to " : " down to ")
        + format_value(metric, peak.observed) + " vs "
        + format_value(metric, peak.expected) + " expected ("
        + to_string(peak.level) + ")");
  // The request metrics that stayed normal; incidents of other event kinds
  // (their metrics are measures such as ph or price) list none.
  std::vector<std::string> normal;
  bool request_metrics
      = std::all_of(peaks.begin(), peaks.end(), [](const auto& peak) {
          return std::find(std::begin(known_metrics), std::end(known_metrics),
                           peak.first)
                 != std::end(known_metrics);
        });
  for (const auto* metric : known_metrics)
    if (request_metrics && incident.metrics.count(metric) == 0)
      normal.push_back(metric_label(metric));
  auto result = service + ": " + join_list(deviations);
  if (open)
    result += " since " + utc_clock(incident.started_at) + " UTC";
  else
    result += " from " + utc_clock(incident.started_at) + " to "
              + utc_clock(incident.last_end) + " UTC";
  result += ", " + std::to_string(incident.windows) + " anomalous window"
            + (incident.windows == 1 ? "" : "s") + (open ? " so far" : "");
  if (!normal.empty())
    result += "; " + join_list(normal) + " normal";
  return result;
}

// -- snapshots ----------------------------------------------------------------

std::string incident_narrator::snapshot() const {
  json services = json::object();
  for (const auto& [service, svc] : services_) {
    json obj{{"last_window", svc.last_window}};
    if (svc.open) {
      const auto& inc = svc.incident;
      json metrics = json::object();
      for (const auto& [metric, peak] : inc.metrics)
        metrics[metric] = json{{"observed", peak.observed},
                               {"expected", peak.expected},
                               {"score", peak.score},
                               {"severity", to_string(peak.level)}};
      obj["incident"] = json{{"id", inc.id},
                             {"started_at", inc.started_at},
                             {"last_end", inc.last_end},
                             {"severity", to_string(inc.level)},
                             {"anomalies", inc.anomalies},
                             {"windows", inc.windows},
                             {"clean", inc.clean},
                             {"metrics", std::move(metrics)}};
      if (!inc.narrative.empty())
        obj["incident"]["narrative"] = inc.narrative;
    }
    services[service] = std::move(obj);
  }
  json doc{{"version", snapshot_version},
           {"next_id", next_id_},
           {"event_time", event_time_},
           {"services", std::move(services)}};
  return doc.dump();
}

bool incident_narrator::restore(std::string_view text) {
  auto doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return false;
  auto version = doc.find("version");
  auto services = doc.find("services");
  int64_t next_id = 0;
  int64_t event_time = 0;
  if (version == doc.end() || *version != snapshot_version
      || !get_int(doc, "next_id", next_id) || next_id < 1
      || !get_int(doc, "event_time", event_time) || services == doc.end()
      || !services->is_object())
    return false;
  service_map restored;
  for (const auto& item : services->items()) {
    const auto& obj = item.value();
    if (restored.size() >= settings_.max_services)
      break;
    if (!obj.is_object())
      return false;
    service_state svc;
    if (!get_int(obj, "last_window", svc.last_window))
      return false;
    auto found = obj.find("incident");
    if (found != obj.end()) {
      const auto& x = *found;
      if (!x.is_object())
        return false;
      auto& inc = svc.incident;
      int64_t clean = 0;
      auto metrics = x.find("metrics");
      if (!get_int(x, "id", inc.id) || inc.id < 1 || inc.id >= next_id
          || !get_int(x, "started_at", inc.started_at)
          || !get_int(x, "last_end", inc.last_end)
          || !get_severity(x, "severity", inc.level)
          || !get_int(x, "anomalies", inc.anomalies) || inc.anomalies < 1
          || !get_int(x, "windows", inc.windows) || inc.windows < 1
          || !get_int(x, "clean", clean) || clean < 0 || clean > UINT32_MAX
          || metrics == x.end() || !metrics->is_object())
        return false;
      inc.clean = static_cast<uint32_t>(clean);
      auto narrative = x.find("narrative");
      if (narrative != x.end()) {
        if (!narrative->is_string())
          return false;
        inc.narrative = narrative->get<std::string>();
      }
      for (const auto& m : metrics->items()) {
        metric_peak peak;
        if (!m.value().is_object()
            || !get_double(m.value(), "observed", peak.observed)
            || !get_double(m.value(), "expected", peak.expected)
            || !get_double(m.value(), "score", peak.score)
            || !get_severity(m.value(), "severity", peak.level))
          return false;
        inc.metrics.emplace(m.key(), peak);
      }
      svc.open = true;
    }
    restored.emplace(item.key(), std::move(svc));
  }
  services_ = std::move(restored);
  closed_.clear();
  next_id_ = next_id;
  event_time_ = event_time;
  return true;
}

} // namespace vigil
