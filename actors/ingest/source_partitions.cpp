#include "actors/ingest/source_partitions.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "actors/messages.hpp"
#include "actors/node/metrics.hpp"

namespace vigil {

namespace {

std::atomic<uint64_t> epochs{1};

} // namespace

uint64_t next_source_epoch() {
  return epochs++;
}

void source_partitions::unpublish(
    const std::shared_ptr<metric_factory>& metrics) {
  if (metrics) {
    for (auto& kv : partitions)
      metrics->release_partition(kv.first);
    metrics->assigned_partitions().Set(0);
  }
  if (status) {
    status->assigned = 0;
    std::lock_guard<std::mutex> guard{status->mtx};
    status->lag.clear();
    status->positions.clear();
  }
}

bool source_partitions::send_pending(caf::event_based_actor* self,
                                     int32_t partition,
                                     source_partition& info) {
  if (info.pending.offsets.empty())
    return false;
  info.next_offset = info.pending.offsets.back() + 1;
  self->send(info.task, std::move(info.pending));
  info.pending = record_batch{};
  info.pending.partition = partition;
  info.pending.epoch = epoch;
  bool exhausted = flow.sent(partition);
  if (status && flow.peak_in_flight() > status->peak_in_flight.load())
    status->peak_in_flight = flow.peak_in_flight();
  if (exhausted && status)
    ++status->credit_pauses;
  return exhausted;
}

bool source_partitions::inject_barriers(caf::event_based_actor* self,
                                        const caf::actor& merger,
                                        uint64_t checkpoint) {
  bool exhausted = false;
  checkpoint_begin begin;
  begin.checkpoint = checkpoint;
  for (auto& [p, info] : partitions) {
    exhausted = send_pending(self, p, info) || exhausted;
    begin.partitions.push_back(p);
  }
  std::sort(begin.partitions.begin(), begin.partitions.end());
  // Same sender: the merger has the begin before any task passes a barrier
  // on.
  if (merger)
    self->send(merger, begin);
  for (auto& [p, info] : partitions)
    self->send(info.task,
               partition_barrier{checkpoint, p, info.next_offset, epoch});
  return exhausted;
}

bool source_partitions::finish_if_done(caf::event_based_actor* self,
                                       int32_t partition,
                                       source_partition& info) {
  if (finished(partition) || info.next_offset < info.end_offset)
    return false;
  flow.finish(partition);
  self->send(info.task,
             partition_end{partition, info.next_offset, true, epoch});
  return true;
}

bool source_partitions::all_finished() const {
  return !partitions.empty()
         && std::all_of(partitions.begin(), partitions.end(),
                        [this](const auto& kv) { return finished(kv.first); });
}

bool source_partitions::covers_ends(const checkpoint_durable& msg) const {
  return std::all_of(partitions.begin(), partitions.end(), [&](const auto& kv) {
    return std::any_of(msg.offsets.begin(), msg.offsets.end(),
                       [&](const partition_offset& po) {
                         return po.partition == kv.first
                                && po.next_offset >= kv.second.end_offset;
                       });
  });
}

partition_position source_partitions::describe(int32_t partition,
                                               const source_partition& info,
                                               uint32_t credit) const {
  partition_position pos;
  pos.next_offset = info.next_offset;
  auto state = flow.state(partition);
  pos.paused = state == flow_state::backpressure;
  pos.held = state == flow_state::held;
  pos.finished = state == flow_state::finished;
  pos.consumer_paused = flow.consumer_paused(partition);
  pos.in_flight = flow.in_flight(partition);
  pos.credit = credit;
  pos.epoch = epoch;
  pos.fetched = info.fetched;
  return pos;
}

} // namespace vigil
