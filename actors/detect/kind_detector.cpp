#include "actors/detect/kind_detector.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "runtime/event_kind.hpp"

namespace vigil {

namespace {

using json = nlohmann::json;

anomaly_row make_anomaly(const window_row& row, const std::string& metric,
                         double observed, double expected, double score,
                         const char* detector, int64_t now_ms) {
  anomaly_row a;
  a.service = row.service;
  a.window_start = row.window_start;
  a.metric = metric;
  a.observed = observed;
  a.expected = expected;
  a.score = std::clamp(score, 0.5, 1.0);
  a.severity = severity_of_score(a.score);
  a.detector = detector;
  a.detected_at = now_ms;
  return a;
}

/// Sample standard deviation of `xs` (0 for fewer than two).
double stddev(const std::deque<double>& xs) {
  if (xs.size() < 2)
    return 0;
  double mean = std::accumulate(xs.begin(), xs.end(), 0.0)
                / static_cast<double>(xs.size());
  double ss = 0;
  for (double x : xs)
    ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(xs.size() - 1));
}

} // namespace

kind_detector::kind_detector(std::shared_ptr<const kind_schema> kind,
                             size_t max_keys)
    : kind_(std::move(kind)), max_keys_(max_keys) {
  size_t index = 0;
  for (const auto& m : kind_->measures) {
    columns c;
    for (const auto& a : m.aggregations) {
      switch (a.kind) {
      case aggregation::min:
        c.min = index;
        break;
      case aggregation::max:
        c.max = index;
        break;
      case aggregation::mean:
        c.mean = index;
        break;
      case aggregation::last:
        c.last = index;
        break;
      default:
        break;
      }
      ++index;
    }
    columns_.push_back(c);
  }
}

void kind_detector::judge_bands(const window_row& row, int64_t now_ms,
                                std::vector<anomaly_row>& out) const {
  const auto& v = row.values;
  auto at = [&v](size_t i) { return i < v.size() ? v[i] : NAN; };
  for (size_t m = 0; m < kind_->measures.size(); ++m) {
    const auto& spec = kind_->measures[m];
    const auto& band = spec.healthy;
    if (band.empty())
      continue;
    const auto& c = columns_[m];
    auto typical = c.mean != npos ? c.mean : c.last;
    double low = at(c.min != npos ? c.min : typical);
    double high = at(c.max != npos ? c.max : typical);
    auto lower = band.gt ? band.gt : band.ge;
    auto upper = band.lt ? band.lt : band.le;
    double width = lower && upper ? *upper - *lower : 0;
    auto score = [&](double beyond, double bound) {
      // At the bound 0.5; half the band's width (or of the bound's
      // magnitude, for one-sided bands) beyond it: 1.
      double scale = width > 0 ? width / 2 : std::max(std::abs(bound), 1e-9);
      return 0.5 + 0.5 * std::min(1.0, beyond / scale);
    };
    if (!std::isnan(high) && upper && !band.contains(high) && high >= *upper)
      out.push_back(make_anomaly(row, spec.name, high, *upper,
                                 score(high - *upper, *upper), "band", now_ms));
    else if (!std::isnan(low) && lower && !band.contains(low) && low <= *lower)
      out.push_back(make_anomaly(row, spec.name, low, *lower,
                                 score(*lower - low, *lower), "band", now_ms));
  }
}

void kind_detector::judge_jump(const window_row& row, key_state& state,
                               int64_t now_ms,
                               std::vector<anomaly_row>& out) const {
  const auto& rule = *kind_->jump;
  const auto& c = columns_[rule.measure];
  const auto& v = row.values;
  if (c.last >= v.size() || row.request_count == 0)
    return;
  double close = v[c.last];
  if (!(close > 0))
    return;
  if (state.close > 0) {
    double prev = state.close;
    double sigma = stddev(state.returns);
    if (state.returns.size() >= rule.min_history && sigma > 0) {
      // The largest move of the window against the previous close.
      double observed = close;
      double move = std::abs(std::log(close / prev));
      for (size_t i : {c.max, c.min})
        if (i < v.size() && v[i] > 0
            && std::abs(std::log(v[i] / prev)) > move) {
          move = std::abs(std::log(v[i] / prev));
          observed = v[i];
        }
      double z = move / sigma;
      if (z > rule.sigma && move > std::log1p(rule.min_move))
        out.push_back(make_anomaly(
            row, kind_->measures[rule.measure].name, observed, prev,
            0.5 + 0.5 * std::min(1.0, (z - rule.sigma) / (2 * rule.sigma)),
            "jump", now_ms));
    }
    state.returns.push_back(std::log(close / prev));
    while (state.returns.size() > rule.history)
      state.returns.pop_front();
  }
  state.close = close;
}

std::vector<anomaly_row> kind_detector::judge(const window_row& row,
                                              int64_t now_ms) {
  std::vector<anomaly_row> out;
  auto i = keys_.find(row.service);
  if (i == keys_.end()) {
    if (keys_.size() >= max_keys_) {
      ++overflow_;
      return out;
    }
    i = keys_.emplace(row.service, key_state{}).first;
  }
  auto& state = i->second;
  if (row.window_start <= state.last_scored)
    return out;
  state.last_scored = row.window_start;
  judge_bands(row, now_ms, out);
  if (kind_->jump)
    judge_jump(row, state, now_ms, out);
  return out;
}

std::string kind_detector::snapshot() const {
  json keys = json::object();
  for (const auto& [key, state] : keys_)
    keys[key] = json{{"last_scored", state.last_scored},
                     {"close", state.close},
                     {"returns", state.returns}};
  return detector_snapshot(name, std::move(keys));
}

bool kind_detector::restore(std::string_view text) {
  std::map<std::string, key_state, std::less<>> restored;
  auto ok = read_detector_snapshot(
      text, max_keys_,
      [&](const std::string& key, int64_t last, const json& obj) {
        key_state state;
        state.last_scored = last;
        auto close = obj.find("close");
        auto returns = obj.find("returns");
        if (close == obj.end() || !close->is_number() || returns == obj.end()
            || !returns->is_array())
          return false;
        state.close = close->get<double>();
        for (const auto& r : *returns) {
          if (!r.is_number())
            return false;
          state.returns.push_back(r.get<double>());
        }
        restored.emplace(key, std::move(state));
        return true;
      });
  if (!ok)
    return false;
  keys_ = std::move(restored);
  return true;
}

} // namespace vigil
