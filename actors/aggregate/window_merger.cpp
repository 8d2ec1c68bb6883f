#include "actors/aggregate/window_merger.hpp"

#include <algorithm>
#include <numeric>

#include <nlohmann/json.hpp>

#include "actors/ingest/request_event.hpp"
#include "runtime/event_kind.hpp"

namespace vigil {

/// Version of the snapshot format (schemas/checkpoint_snapshots.schema.json).
constexpr int snapshot_version = 1;

namespace {

/// Index of the latency measure in a request window aggregate.
constexpr size_t latency_measure = 0;

nlohmann::json to_json(const measure_aggregate& m) {
  nlohmann::json j{{"n", m.count},
                   {"sum", m.sum},
                   {"a", m.sketch.relative_accuracy()},
                   {"o", m.sketch.offset()},
                   {"b", m.sketch.buckets()},
                   {"z", m.sketch.zero_count()}};
  if (m.count > 0) {
    j["min"] = m.min;
    j["max"] = m.max;
  }
  if (m.ordered()) {
    j["ft"] = m.first_time;
    j["fv"] = m.first;
    j["lt"] = m.last_time;
    j["lv"] = m.last;
    j["w"] = m.weighted_sum;
  }
  return j;
}

bool from_json(const nlohmann::json& j, measure_aggregate& m) {
  m.count = j.at("n").get<uint64_t>();
  m.sum = j.at("sum").get<double>();
  if (m.count > 0) {
    m.min = j.at("min").get<double>();
    m.max = j.at("max").get<double>();
  }
  if (j.contains("lt")) {
    m.first_time = j.at("ft").get<int64_t>();
    m.first = j.at("fv").get<double>();
    m.last_time = j.at("lt").get<int64_t>();
    m.last = j.at("lv").get<double>();
    m.weighted_sum = j.at("w").get<double>();
  }
  return m.sketch.restore(j.at("a").get<double>(), j.at("o").get<int32_t>(),
                          j.at("b").get<std::vector<uint64_t>>(),
                          j.at("z").get<uint64_t>());
}

} // namespace

uint64_t merger_counters::invalid_total() const noexcept {
  return std::accumulate(invalid.begin(), invalid.end(), uint64_t{0});
}

window_merger::window_merger(window_merger_config settings)
    : settings_(settings), tracker_(settings.bound_ms, settings.idle_timeout) {
  counters_.invalid.resize(invalid_reason_count);
}

void window_merger::add_partition(int32_t partition) {
  tracker_.add_partition(partition);
}

void window_merger::remove_partition(int32_t partition) {
  tracker_.remove_partition(partition);
}

void window_merger::at_end(int32_t partition, bool finished, clock_time now) {
  if (finished)
    tracker_.finish(partition);
  else
    tracker_.at_end(partition, now);
}

bool window_merger::all_finished() const {
  return tracker_.partition_count() > 0 && tracker_.all_finished();
}

void window_merger::apply(const partial_batch& batch, clock_time now) {
  if (batch.max_event_time != INT64_MIN)
    tracker_.observe(batch.partition, batch.max_event_time, now);
  const auto& c = batch.counters;
  counters_.events += c.events;
  counters_.repaired += c.repaired;
  counters_.late_accepted += c.late_accepted;
  counters_.reorderings += c.reorderings;
  for (size_t i = 0; i < c.invalid.size() && i < counters_.invalid.size(); ++i)
    counters_.invalid[i] += c.invalid[i];
  for (const auto& p : batch.partials) {
    window_key key{p.window_start, p.key};
    auto i = windows_.find(key);
    if (i == windows_.end()) {
      if (p.window_start + settings_.window_ms + settings_.lateness_ms
          <= watermark_) {
        // The window was final and evicted: only possible for partials in
        // flight while an idle partition woke up. Counted, never silent.
        counters_.late_partials_dropped += p.aggregate.count;
        continue;
      }
      auto refs = key_refs_.find(p.key);
      if (refs == key_refs_.end()) {
        if (key_refs_.size() >= settings_.max_keys) {
          counters_.key_overflow += p.aggregate.count;
          continue;
        }
        refs = key_refs_.emplace(p.key, 0).first;
      }
      ++refs->second;
      i = windows_.emplace(std::move(key), window_state{}).first;
    }
    i->second.aggregate.merge(p.aggregate);
    i->second.dirty = true;
  }
}

void window_merger::emit(const window_key& key, window_state& state, bool final,
                         int64_t wall_ms, std::vector<window_row>& out) {
  out.push_back(make_row(key.second, key.first, settings_.window_ms,
                         state.aggregate, wall_ms, final));
  if (settings_.kind)
    out.back().values = window_values(*settings_.kind, state.aggregate);
  if (!state.emitted)
    ++counters_.windows_emitted;
  if (final && !state.final)
    ++counters_.windows_finalized;
  state.emitted = true;
  state.dirty = false;
  state.final = state.final || final;
}

std::vector<window_row> window_merger::advance(clock_time now,
                                               int64_t wall_ms) {
  if (auto wm = tracker_.combined(now))
    watermark_ = std::max(watermark_, *wm);
  std::vector<window_row> out;
  if (watermark_ == INT64_MIN)
    return out;
  auto retention = settings_.window_ms + settings_.lateness_ms;
  for (auto i = windows_.begin(); i != windows_.end();) {
    auto end = i->first.first + settings_.window_ms;
    if (end > watermark_)
      break; // map order: every later window is still open
    auto& state = i->second;
    bool final = end + settings_.lateness_ms <= watermark_;
    if (state.dirty || (final && !state.final))
      emit(i->first, state, final, wall_ms, out);
    if (final && end + settings_.lateness_ms + retention <= watermark_) {
      auto refs = key_refs_.find(i->first.second);
      if (refs != key_refs_.end() && --refs->second == 0)
        key_refs_.erase(refs);
      i = windows_.erase(i);
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<window_row> window_merger::flush_all(int64_t wall_ms) {
  std::vector<window_row> out;
  for (auto& [key, state] : windows_)
    if (state.dirty || !state.final) {
      emit(key, state, true, wall_ms, out);
      // Cut short: the watermark never passed its end.
      out.back().partial = key.first + settings_.window_ms > watermark_;
    }
  windows_.clear();
  key_refs_.clear();
  return out;
}

window_row window_merger::make_row(const std::string& key, int64_t start,
                                   int64_t window_ms,
                                   const window_aggregate& agg, int64_t wall_ms,
                                   bool final) {
  window_row row;
  row.service = key;
  row.window_start = start;
  row.window_end = start + window_ms;
  row.request_count = static_cast<int64_t>(agg.count);
  row.error_count = static_cast<int64_t>(agg.errors);
  row.error_rate = agg.count == 0 ? 0.0
                                  : static_cast<double>(agg.errors)
                                        / static_cast<double>(agg.count);
  if (agg.measures.size() > latency_measure) {
    const auto& m = agg.measures[latency_measure];
    row.avg_latency_ms = m.mean();
    row.p50_latency_ms = m.sketch.quantile(0.50);
    row.p95_latency_ms = m.sketch.quantile(0.95);
    row.p99_latency_ms = m.sketch.quantile(0.99);
    row.max_latency_ms = m.count == 0 ? 0.0 : m.max;
  }
  row.late_count = static_cast<int64_t>(agg.late);
  row.updated_at = wall_ms;
  row.final = final;
  return row;
}

std::string window_merger::snapshot() const {
  nlohmann::json windows = nlohmann::json::array();
  for (const auto& [key, state] : windows_) {
    nlohmann::json measures = nlohmann::json::array();
    for (const auto& m : state.aggregate.measures)
      measures.push_back(to_json(m));
    windows.push_back({{"k", key.second},
                       {"s", key.first},
                       {"e", state.emitted},
                       {"d", state.dirty},
                       {"f", state.final},
                       {"c", state.aggregate.count},
                       {"x", state.aggregate.errors},
                       {"l", state.aggregate.late},
                       {"m", std::move(measures)}});
  }
  const auto& c = counters_;
  nlohmann::json doc{{"version", snapshot_version},
                     {"watermark", watermark_},
                     {"counters",
                      {{"events", c.events},
                       {"repaired", c.repaired},
                       {"late_accepted", c.late_accepted},
                       {"windows_emitted", c.windows_emitted},
                       {"windows_finalized", c.windows_finalized},
                       {"late_partials_dropped", c.late_partials_dropped},
                       {"key_overflow", c.key_overflow},
                       {"reorderings", c.reorderings},
                       {"invalid", c.invalid}}},
                     {"windows", std::move(windows)}};
  return doc.dump();
}

bool window_merger::restore(std::string_view data) {
  auto doc = nlohmann::json::parse(data, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return false;
  auto version = doc.find("version");
  if (version == doc.end())
    version = doc.find("v"); // snapshots stored before vigil 0.1 named it so
  if (version == doc.end() || *version != snapshot_version)
    return false;
  try {
    std::map<window_key, window_state> windows;
    std::map<std::string, size_t> refs;
    for (const auto& w : doc.at("windows")) {
      window_state state;
      state.emitted = w.at("e").get<bool>();
      state.dirty = w.at("d").get<bool>();
      state.final = w.at("f").get<bool>();
      state.aggregate.count = w.at("c").get<uint64_t>();
      state.aggregate.errors = w.at("x").get<uint64_t>();
      state.aggregate.late = w.at("l").get<uint64_t>();
      for (const auto& m : w.at("m")) {
        measure_aggregate agg;
        if (!from_json(m, agg))
          return false;
        state.aggregate.measures.push_back(std::move(agg));
      }
      auto key = w.at("k").get<std::string>();
      ++refs[key];
      windows.emplace(window_key{w.at("s").get<int64_t>(), std::move(key)},
                      std::move(state));
    }
    const auto& c = doc.at("counters");
    merger_counters counters;
    counters.events = c.at("events").get<uint64_t>();
    counters.repaired = c.at("repaired").get<uint64_t>();
    counters.late_accepted = c.at("late_accepted").get<uint64_t>();
    counters.windows_emitted = c.at("windows_emitted").get<uint64_t>();
    counters.windows_finalized = c.at("windows_finalized").get<uint64_t>();
    counters.late_partials_dropped
        = c.at("late_partials_dropped").get<uint64_t>();
    counters.key_overflow = c.at("key_overflow").get<uint64_t>();
    counters.reorderings = c.value("reorderings", uint64_t{0});
    counters.invalid = c.at("invalid").get<std::vector<uint64_t>>();
    counters.invalid.resize(invalid_reason_count);
    watermark_ = doc.at("watermark").get<int64_t>();
    windows_ = std::move(windows);
    key_refs_ = std::move(refs);
    counters_ = std::move(counters);
    return true;
  } catch (const nlohmann::json::exception&) {
    // A malformed snapshot is reported to the caller, state untouched.
    return false;
  }
}

} // namespace vigil
