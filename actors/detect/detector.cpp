#include "actors/detect/detector.hpp"

#include <utility>

#include <nlohmann/json.hpp>

namespace vigil {

namespace {

using json = nlohmann::json;

constexpr int snapshot_version = 1;

json to_json(const ewma_baseline& baseline) {
  return json{{"n", baseline.observations()},
              {"mean", baseline.mean()},
              {"var", baseline.variance()},
              {"streak", baseline.anomalous_streak()}};
}

bool from_json(const json& obj, ewma_baseline& baseline) {
  if (!obj.is_object())
    return false;
  auto n = obj.find("n");
  auto mean = obj.find("mean");
  auto var = obj.find("var");
  auto streak = obj.find("streak");
  if (n == obj.end() || !n->is_number_unsigned() || mean == obj.end()
      || !mean->is_number() || var == obj.end() || !var->is_number()
      || streak == obj.end() || !streak->is_number_unsigned())
    return false;
  auto variance = var->get<double>();
  if (variance < 0 || streak->get<uint64_t>() > UINT32_MAX)
    return false;
  baseline.restore(n->get<uint64_t>(), mean->get<double>(), variance,
                   static_cast<uint32_t>(streak->get<uint64_t>()));
  return true;
}

anomaly_row make_anomaly(const window_row& row, const char* metric,
                         const baseline_verdict& verdict, int64_t now_ms) {
  anomaly_row result;
  result.service = row.service;
  result.window_start = row.window_start;
  result.metric = metric;
  result.observed = verdict.observed;
  result.expected = verdict.expected;
  result.score = verdict.score;
  result.severity = to_string(verdict.level);
  result.detector = service_detector::name;
  result.detected_at = now_ms;
  return result;
}

} // namespace

service_detector::service_state::service_state(const detector_config& settings)
    : error_rate(settings.error_rate), latency(settings.latency),
      request_rate(settings.request_rate) {
  // nop
}

service_detector::service_detector(detector_config settings)
    : settings_(settings) {
  // nop
}

std::vector<anomaly_row> service_detector::judge(const window_row& row,
                                                 int64_t now_ms) {
  std::vector<anomaly_row> result;
  auto i = services_.find(row.service);
  if (i == services_.end()) {
    if (services_.size() >= settings_.max_services) {
      ++overflow_;
      return result;
    }
    i = services_.emplace(row.service, service_state{settings_}).first;
  }
  auto& state = i->second;
  if (row.window_start <= state.last_scored)
    return result;
  state.last_scored = row.window_start;
  auto duration_ms = row.window_end - row.window_start;
  if (duration_ms > 0) {
    auto rate = static_cast<double>(row.request_count) * 1000.0
                / static_cast<double>(duration_ms);
    auto verdict = state.request_rate.observe(rate);
    if (verdict.level != severity::none)
      result.push_back(make_anomaly(row, "request_rate", verdict, now_ms));
  }
  // Too few requests say nothing about error rate or tail latency.
  if (row.request_count < settings_.min_requests)
    return result;
  auto error_rate = static_cast<double>(row.error_count)
                    / static_cast<double>(row.request_count);
  auto verdict = state.error_rate.observe(error_rate);
  if (verdict.level != severity::none && row.error_count >= settings_.min_errors
      && error_rate >= settings_.min_error_rate)
    result.push_back(make_anomaly(row, "error_rate", verdict, now_ms));
  verdict = state.latency.observe(row.p95_latency_ms);
  if (verdict.level != severity::none)
    result.push_back(make_anomaly(row, "p95_latency_ms", verdict, now_ms));
  return result;
}

// 0.5 is the detectors' threshold; q^2/(1+q^2) is 0.8 at twice it and 0.9
// at three times it.
const char* severity_of_score(double score) {
  if (score >= 0.9)
    return to_string(severity::critical);
  if (score >= 0.8)
    return to_string(severity::high);
  if (score >= 0.65)
    return to_string(severity::medium);
  return to_string(severity::low);
}

std::string detector_snapshot(const char* name, json services) {
  json doc{{"version", snapshot_version},
           {"detector", name},
           {"services", std::move(services)}};
  return doc.dump();
}

bool read_detector_snapshot(
    std::string_view text, size_t max_services,
    const std::function<bool(const std::string&, int64_t, const json&)>& each) {
  auto doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return false;
  auto version = doc.find("version");
  auto services = doc.find("services");
  if (version == doc.end() || *version != snapshot_version
      || services == doc.end() || !services->is_object())
    return false;
  size_t n = 0;
  for (const auto& item : services->items()) {
    if (n++ >= max_services)
      break;
    const auto& obj = item.value();
    if (!obj.is_object())
      return false;
    auto last = obj.find("last_scored");
    if (last == obj.end() || !last->is_number_integer()
        || !each(item.key(), last->get<int64_t>(), obj))
      return false;
  }
  return true;
}

std::string service_detector::snapshot() const {
  json services = json::object();
  for (const auto& [service, state] : services_) {
    services[service] = json{{"last_scored", state.last_scored},
                             {"error_rate", to_json(state.error_rate)},
                             {"p95_latency_ms", to_json(state.latency)},
                             {"request_rate", to_json(state.request_rate)}};
  }
  return detector_snapshot(name, std::move(services));
}

bool service_detector::restore(std::string_view text) {
  std::map<std::string, service_state, std::less<>> restored;
  auto ok = read_detector_snapshot(
      text, settings_.max_services,
      [&](const std::string& service, int64_t last, const json& obj) {
        service_state state{settings_};
        state.last_scored = last;
        auto load = [&obj](const char* key, ewma_baseline& baseline) {
          auto i = obj.find(key);
          return i != obj.end() && from_json(*i, baseline);
        };
        if (!load("error_rate", state.error_rate)
            || !load("p95_latency_ms", state.latency)
            || !load("request_rate", state.request_rate))
          return false;
        restored.emplace(service, state);
        return true;
      });
  if (!ok)
    return false;
  services_ = std::move(restored);
  return true;
}

} // namespace vigil
