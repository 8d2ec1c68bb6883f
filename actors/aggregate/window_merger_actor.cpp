#include "actors/aggregate/window_merger_actor.hpp"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <variant>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/messages.hpp"
#include "runtime/log.hpp"
#include "runtime/spawn.hpp"

namespace vigil {

namespace {

int64_t system_wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

/// Input held back while a checkpoint aligns: it belongs after the barrier.
using held_input = std::variant<partial_batch, partition_end>;

struct merger_state {
  static inline const char* name = "merger";

  explicit merger_state(caf::stateful_actor<merger_state>* self) : self(self) {
    // nop
  }

  /// Takes the configuration and returns the behavior.
  caf::behavior make_behavior(window_merger_actor_config settings,
                              caf::actor detector);

  caf::stateful_actor<merger_state>* self;
  window_merger_actor_config settings;
  std::optional<window_merger> logic;
  caf::actor detector;
  caf::actor source;
  std::map<int32_t, caf::actor> tasks;
  std::map<int32_t, int64_t> next_offsets;
  uint64_t last_checkpoint = 0;
  int64_t broadcast_watermark = INT64_MIN;
  bool final_sent = false;

  // Alignment of the checkpoint in progress.
  uint64_t aligning = 0;
  std::set<int32_t> waiting;
  std::vector<partition_offset> barrier_offsets;
  std::map<int32_t, std::deque<held_input>> held;

  // -- callbacks
  // ----------------------------------------------------------------

  /// Epoch of the source the merger follows (a new one per source
  /// incarnation and per rebalance); input of earlier ones (still in flight
  /// when the source restarted or rolled back) is ignored.
  uint64_t epoch = 0;

  /// Counts and drops input of a source incarnation before the rollback.
  bool stale(uint64_t input_epoch) {
    if (input_epoch == epoch)
      return false;
    ++stale_inputs;
    return true;
  }

  uint64_t stale_inputs = 0;

  void on_partial(partial_batch&& batch) {
    if (stale(batch.epoch))
      return;
    if (is_held(batch.partition)) {
      held[batch.partition].emplace_back(std::move(batch));
      return;
    }
    apply(batch);
  }

  void on_end(const partition_end& end) {
    if (stale(end.epoch))
      return;
    if (is_held(end.partition)) {
      held[end.partition].emplace_back(end);
      return;
    }
    apply(end);
  }

  void on_begin(const checkpoint_begin& begin) {
    if (final_sent)
      return; // drained: the final checkpoint is the last one
    if (aligning != 0)
      logf(log_level::warning, "merger",
           "checkpoint %llu started while %llu aligns",
           static_cast<unsigned long long>(begin.checkpoint),
           static_cast<unsigned long long>(aligning));
    aligning = begin.checkpoint;
    waiting.clear();
    waiting.insert(begin.partitions.begin(), begin.partitions.end());
    barrier_offsets.clear();
    if (waiting.empty())
      complete_checkpoint();
  }

  void on_barrier(const partition_barrier& barrier) {
    if (stale(barrier.epoch))
      return;
    if (barrier.checkpoint != aligning || waiting.erase(barrier.partition) == 0)
      return;
    barrier_offsets.push_back({barrier.partition, barrier.next_offset});
    if (waiting.empty())
      complete_checkpoint();
  }

  /// The source lost `partition` in a rebalance: a checkpoint aligning can
  /// no longer complete (the source abandons it and rolls back once
  /// partitions are assigned again).
  void on_revoke(int32_t partition) {
    logic->remove_partition(partition);
    tasks.erase(partition);
    held.erase(partition);
    if (aligning == 0)
      return;
    aligning = 0;
    waiting.clear();
    barrier_offsets.clear();
    release_held();
  }

  void on_tick() {
    self->delayed_send(self, settings.emit_interval, atom::tick_v);
    emit({});
  }

  // -- helpers
  // ------------------------------------------------------------------

  bool is_held(int32_t partition) const {
    return aligning != 0 && waiting.count(partition) == 0;
  }

  void apply(const partial_batch& batch) {
    tasks_seen(batch.partition);
    if (batch.next_offset >= 0)
      next_offsets[batch.partition] = batch.next_offset;
    logic->apply(batch, settings.now());
    // The acknowledgement returns the credit of every record batch the
    // partials cover: the source counts its credit in record batches.
    if (source)
      self->send(source, atom::ack_v, batch.partition, batch.epoch,
                 std::max<uint32_t>(1, batch.batches));
  }

  void apply(const partition_end& end) {
    next_offsets[end.partition]
        = std::max(next_offsets[end.partition], end.next_offset);
    logic->at_end(end.partition, end.finished, settings.now());
    maybe_finish();
  }

  void tasks_seen(int32_t partition) {
    auto sender = caf::actor_cast<caf::actor>(self->current_sender());
    if (sender && sender != source)
      tasks[partition] = sender;
  }

  /// Emits closed windows; with a checkpoint, also its state and offsets.
  void emit(result_batch batch) {
    batch.rows = logic->advance(settings.now(), settings.wall_ms());
    if (batch.rows.empty() && batch.checkpoint == 0)
      return broadcast();
    self->send(detector, std::move(batch));
    broadcast();
  }

  void broadcast() {
    auto wm = logic->watermark();
    if (wm <= broadcast_watermark)
      return;
    broadcast_watermark = wm;
    for (auto& [p, task] : tasks)
      self->send(task, watermark_update{wm});
  }

  void complete_checkpoint() {
    result_batch batch;
    batch.checkpoint = aligning;
    batch.offsets = std::move(barrier_offsets);
    barrier_offsets.clear();
    batch.merger_state = logic->snapshot();
    batch.durable_to = source;
    last_checkpoint = std::max(last_checkpoint, aligning);
    aligning = 0;
    emit(std::move(batch));
    release_held();
    maybe_finish();
  }

  /// Applies what arrived behind the barriers, in per-partition order.
  void release_held() {
    auto pending = std::move(held);
    held.clear();
    for (auto& [p, inputs] : pending)
      for (auto& input : inputs)
        std::visit([this](auto& x) { apply(x); }, input);
  }

  /// Drain mode: once every partition is finished, flush every window and
  /// close a final checkpoint at the end offsets.
  void maybe_finish() {
    if (final_sent || aligning != 0 || !logic->all_finished())
      return;
    final_sent = true;
    auto rows = logic->advance(settings.now(), settings.wall_ms());
    auto rest = logic->flush_all(settings.wall_ms());
    rows.insert(rows.end(), std::make_move_iterator(rest.begin()),
                std::make_move_iterator(rest.end()));
    result_batch batch;
    batch.rows = std::move(rows);
    batch.checkpoint = ++last_checkpoint;
    for (auto& [p, offset] : next_offsets)
      batch.offsets.push_back({p, offset});
    batch.merger_state = logic->snapshot();
    batch.durable_to = source;
    auto id = batch.checkpoint;
    self->send(detector, std::move(batch));
    // Whoever drives the checkpoints learns which one holds the flushed
    // windows (a cluster's coordinator waits for it to be durable).
    if (source)
      self->send(source, atom::final_v, id);
  }

  /// Returns to the state of checkpoint `id` (the source replays from its
  /// offsets); partitions are assigned anew by the source.
  void rollback(const std::string& state, uint64_t id) {
    window_merger fresh{settings.windows};
    if (!state.empty() && !fresh.restore(state)) {
      self->quit(caf::make_error(caf::sec::invalid_argument,
                                 "merger: stored checkpoint state is invalid"));
      return;
    }
    logic.emplace(std::move(fresh));
    tasks.clear();
    next_offsets.clear();
    held.clear();
    waiting.clear();
    barrier_offsets.clear();
    aligning = 0;
    final_sent = false;
    broadcast_watermark = INT64_MIN;
    last_checkpoint = std::max(last_checkpoint, id);
  }

  pipeline_stats stats() const {
    const auto& c = logic->counters();
    pipeline_stats s;
    s.events = c.events;
    s.invalid = c.invalid;
    s.repaired = c.repaired;
    s.late_accepted = c.late_accepted;
    s.windows = c.windows_emitted;
    s.late_partials_dropped = c.late_partials_dropped;
    s.key_overflow = c.key_overflow;
    s.watermark = logic->watermark();
    s.open_windows = logic->window_count();
    s.last_checkpoint = last_checkpoint;
    s.reorderings = c.reorderings;
    s.tracked_keys = logic->key_count();
    return s;
  }
};

using merger_actor = caf::stateful_actor<merger_state>;

caf::behavior merger_state::make_behavior(window_merger_actor_config settings,
                                          caf::actor detector) {
  auto& st = *this;
  st.settings = std::move(settings);
  if (!st.settings.wall_ms)
    st.settings.wall_ms = system_wall_ms;
  st.detector = std::move(detector);
  st.logic.emplace(st.settings.windows);
  st.last_checkpoint = st.settings.last_checkpoint;
  if (!st.settings.restore_state.empty()
      && !st.logic->restore(st.settings.restore_state)) {
    self->quit(caf::make_error(caf::sec::invalid_argument,
                               "merger: stored checkpoint state is invalid"));
    return {};
  }
  self->delayed_send(self, st.settings.emit_interval, atom::tick_v);
  return {
      [this](partial_batch& batch) { on_partial(std::move(batch)); },
      [this](const partition_end& end) { on_end(end); },
      [this](const checkpoint_begin& begin) { on_begin(begin); },
      [this](const partition_barrier& b) { on_barrier(b); },
      [this](atom::assign, int32_t partition) {
        auto& st = *this;
        st.source = caf::actor_cast<caf::actor>(self->current_sender());
        st.logic->add_partition(partition);
      },
      [this](atom::revoke, int32_t partition) { on_revoke(partition); },
      [this](atom::tick) { on_tick(); },
      [this](atom::rollback, const std::string& state, uint64_t id,
             uint64_t epoch) {
        auto& st = *this;
        st.source = caf::actor_cast<caf::actor>(self->current_sender());
        st.epoch = epoch;
        st.rollback(state, id);
      },
      [this](atom::stats) { return this->stats(); },
  };
}

} // namespace

caf::actor spawn_window_merger_actor(caf::actor_system& sys,
                                     window_merger_actor_config settings,
                                     caf::actor detector) {
  return spawn_stateful<merger_state>(sys, std::move(settings),
                                      std::move(detector));
}

} // namespace vigil
