#include "actors/ingest/partition_processor.hpp"

#include <algorithm>
#include <map>
#include <string_view>

#include "runtime/event_kind.hpp"

namespace vigil {

namespace {

/// Largest payload copied into a dead letter.
constexpr size_t max_dead_letter_bytes = 64 * 1024;

} // namespace

partition_processor::partition_processor(int32_t partition,
                                         partition_processor_config settings)
    : settings(settings), partition_(partition), windows_(settings.window_ms) {
  if (this->settings.kind)
    for (const auto& m : this->settings.kind->measures) {
      weights_.push_back(m.weight);
      sketched_.push_back(m.needs_sketch());
    }
}

processed_batch partition_processor::process(const record_batch& batch,
                                             int64_t watermark) {
  processed_batch result;
  auto& out = result.partials;
  out.partition = partition_;
  out.counters.invalid.resize(invalid_reason_count);
  // Partials of this batch by (window start, service). A batch rarely spans
  // more than two windows, so this stays small.
  std::map<std::pair<int64_t, std::string_view>, window_aggregate> acc;
  auto reject = [&](size_t i, std::string_view payload, invalid_reason why) {
    ++out.counters.invalid[static_cast<size_t>(why)];
    dead_letter letter;
    letter.partition = partition_;
    letter.offset = batch.offsets[i];
    letter.reason = to_string(why);
    letter.payload.assign(payload.substr(0, max_dead_letter_bytes));
    result.dead_letters.push_back(std::move(letter));
  };
  uint32_t begin = 0;
  for (size_t i = 0; i < batch.offsets.size(); ++i) {
    // A record whose end is missing, before its begin or beyond the bytes is
    // unreadable: not_json, with an empty payload.
    const bool framed = i < batch.ends.size() && batch.ends[i] >= begin
                        && batch.ends[i] <= batch.bytes.size();
    std::string_view payload;
    // The string's allocation holds capacity() bytes (plus a terminator), so
    // everything up to capacity() is readable padding for the parser: the
    // following records, then spare capacity (see kafka_source).
    size_t readable_after = 0;
    if (framed) {
      const auto end = batch.ends[i];
      payload = std::string_view{batch.bytes.data() + begin, end - begin};
      readable_after = batch.bytes.capacity() - end;
      begin = end;
    }
    auto offset = batch.offsets[i];
    if (offset <= last_offset_) {
      ++reorderings_;
      ++out.counters.reorderings;
    }
    last_offset_ = offset;
    if (!framed) {
      reject(i, payload, invalid_reason::not_json);
      continue;
    }
    const auto* kind = settings.kind.get();
    auto outcome = kind != nullptr
                       ? parse_kind_event(payload, *kind, kind_event_,
                                          settings.limits, readable_after)
                       : parse_request_event(payload, event_, settings.limits,
                                             readable_after);
    if (!outcome.ok) {
      reject(i, payload, outcome.reason);
      continue;
    }
    const auto time_ms = kind != nullptr ? kind_event_.time_ms : event_.time_ms;
    const auto& key = kind != nullptr ? kind_event_.key : event_.service;
    auto bounds = windows_.assign(time_ms);
    if (watermark != INT64_MIN
        && bounds.end + settings.lateness_ms <= watermark) {
      reject(i, payload, invalid_reason::too_late);
      continue;
    }
    auto known = services_.find(key);
    if (known == services_.end()) {
      if (services_.size() >= settings.max_services) {
        reject(i, payload, invalid_reason::service_overflow);
        continue;
      }
      known = services_.insert(key).first;
    }
    bool late = watermark != INT64_MIN && bounds.end <= watermark;
    // The key view points into services_, which outlives this call.
    auto slot
        = acc.try_emplace({bounds.start, std::string_view{*known}},
                          window_aggregate::with_measures(
                              kind != nullptr ? kind->measures.size() : 1));
    if (kind != nullptr)
      add_kind_event(slot.first->second, late);
    else
      slot.first->second.add(event_.is_error(), &event_.latency_ms, late);
    ++out.counters.events;
    if (outcome.repaired)
      ++out.counters.repaired;
    if (late)
      ++out.counters.late_accepted;
    max_event_time_ = std::max(max_event_time_, time_ms);
  }
  if (!batch.offsets.empty())
    next_offset_ = batch.offsets.back() + 1;
  out.next_offset = next_offset_;
  out.max_event_time = max_event_time_;
  out.partials.reserve(acc.size());
  for (auto& [key, agg] : acc) {
    window_partial p;
    p.key = std::string{key.second};
    p.window_start = key.first;
    p.aggregate = std::move(agg);
    out.partials.push_back(std::move(p));
  }
  return result;
}

} // namespace vigil

namespace vigil {

void partition_processor::add_kind_event(window_aggregate& agg, bool late) {
  ++agg.count;
  if (late)
    ++agg.late;
  const auto& values = kind_event_.values;
  for (size_t m = 0; m < values.size() && m < agg.measures.size(); ++m) {
    double weight = weights_[m] < values.size() ? values[weights_[m]] : 0.0;
    agg.measures[m].add_at(values[m], kind_event_.time_ms, weight,
                           sketched_[m]);
  }
}

} // namespace vigil
