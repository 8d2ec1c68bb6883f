#include "actors/ingest/partition_task.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/ingest/partial_coalescer.hpp"
#include "actors/messages.hpp"
#include "runtime/spawn.hpp"

namespace vigil {

namespace {

/// Batches handled by all tasks of this process (fault injection only).
std::atomic<uint64_t> batches_seen{0};

/// The injected fault fires once per process.
std::atomic<bool> fault_fired{false};

struct partition_task_state {
  static inline const char* name = "partition_task";

  explicit partition_task_state(caf::stateful_actor<partition_task_state>* self)
      : self(self) {
    // nop
  }

  /// Takes the configuration and returns the behavior.
  caf::behavior make_behavior(int32_t partition,
                              partition_processor_config settings,
                              caf::actor merger, caf::actor dlq);

  caf::stateful_actor<partition_task_state>* self;

  std::optional<partition_processor> processor;
  /// Batches this task handled.
  uint64_t batches = 0;
  caf::actor merger;
  caf::actor dlq;
  int64_t watermark = INT64_MIN;
  /// Partials held until several batches are combined (1 batch: none).
  partial_coalescer pending{1};

  void flush() {
    if (!pending.empty())
      self->send(merger, pending.take());
  }
};

using partition_task_actor = caf::stateful_actor<partition_task_state>;

caf::behavior
partition_task_state::make_behavior(int32_t partition,
                                    partition_processor_config settings,
                                    caf::actor merger, caf::actor dlq) {
  this->processor.emplace(partition, settings);
  this->pending = partial_coalescer{settings.coalesce_batches};
  this->merger = std::move(merger);
  this->dlq = std::move(dlq);
  return {
      // -- callbacks
      // -------------------------------------------------------------
      [this](const record_batch& batch) {
        auto& st = *this;
        const auto& cfg = st.processor->settings;
        auto fault_at = cfg.fault_throw_at;
        ++st.batches;
        if (fault_at > 0
            && (cfg.fault_always ? st.batches == fault_at
                                 : ++batches_seen == fault_at
                                       && !fault_fired.exchange(true)))
          throw std::runtime_error("injected fault: partition task throws on "
                                   "batch "
                                   + std::to_string(fault_at));
        if (cfg.fault_delay.count() > 0)
          std::this_thread::sleep_for(cfg.fault_delay); // a slow consumer
        auto result = st.processor->process(batch, st.watermark);
        result.partials.epoch = batch.epoch;
        if (!result.dead_letters.empty() && st.dlq)
          self->send(st.dlq, dead_letter_batch{std::move(result.dead_letters)});
        if (!st.pending.empty() && st.pending.epoch() != batch.epoch)
          st.flush();
        if (st.pending.add(std::move(result.partials)))
          st.flush();
      },
      [this](const partition_barrier& barrier) {
        // The checkpoint covers everything before its barrier.
        flush();
        self->send(this->merger, barrier);
      },
      [this](const partition_end& end) {
        flush();
        self->send(this->merger, end);
      },
      [this](const watermark_update& update) {
        auto& st = *this;
        st.watermark = std::max(st.watermark, update.watermark);
      },
  };
}

} // namespace

caf::actor spawn_partition_task_actor(caf::actor_system& sys, int32_t partition,
                                      partition_processor_config settings,
                                      caf::actor merger, caf::actor dlq) {
  return spawn_stateful<partition_task_state>(
      sys, partition, settings, std::move(merger), std::move(dlq));
}

} // namespace vigil
