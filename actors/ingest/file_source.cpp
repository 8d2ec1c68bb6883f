#include "actors/ingest/file_source.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <unistd.h>

#include "actors/ingest/line_reader.hpp"
#include "actors/ingest/source_partitions.hpp"
#include "actors/messages.hpp"
#include "actors/node/metrics.hpp"
#include "runtime/log.hpp"
#include "runtime/spawn.hpp"

namespace vigil {

std::string file_source_key(const std::string& path) {
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    std::string out = std::string{"file:"} + real;
    std::free(real);
    return out;
  }
  if (!path.empty() && path[0] == '/')
    return "file:" + path;
  std::string cwd(PATH_MAX, '\0');
  if (::getcwd(cwd.data(), cwd.size()) == nullptr)
    return "file:" + path;
  return "file:" + std::string{cwd.c_str()} + "/" + path;
}

namespace {

/// Least time between two publications of lag and backpressure state.
constexpr auto publish_interval = std::chrono::milliseconds(250);

struct file_source_state : source_partitions {
  static inline const char* name = "file_source";

  explicit file_source_state(caf::stateful_actor<file_source_state>* self)
      : self(self) {
    // nop
  }

  ~file_source_state() {
    unpublish(settings.metrics);
  }

  caf::behavior make_behavior(file_source_config settings, caf::actor merger,
                              caf::actor dead_letters, task_factory make_task,
                              caf::actor listener);

  caf::stateful_actor<file_source_state>* self;
  file_source_config settings;
  caf::actor merger;
  caf::actor listener;
  std::optional<chunk_reader> reader;
  line_splitter lines;
  /// The chunk being split (reused).
  std::string chunk;
  /// Partitions by number, for the per-line path.
  std::vector<source_partition*> slots;
  /// Next offset to give a record of each partition.
  std::vector<int64_t> next_record;
  /// Index of the next non-empty line.
  uint64_t records = 0;
  /// Bytes of the records so far (their average sizes the batches).
  uint64_t bytes_read = 0;
  /// Records skipped because the checkpoint covers them.
  uint64_t skipped = 0;
  /// Set at the end of the file.
  bool at_end = false;
  /// A `poll` is in the mailbox.
  bool poll_scheduled = false;
  uint64_t next_checkpoint = 1;
  uint64_t checkpoint_in_flight = 0;
  uint64_t last_durable = 0;
  bool drained = false;
  bool stopping = false;
  uint64_t stop_checkpoint = 0;
  /// The merger's final checkpoint (0 until it is closed).
  uint64_t final_checkpoint = 0;
  std::chrono::steady_clock::time_point checkpoint_started;
  std::chrono::steady_clock::time_point last_publish;
  std::chrono::steady_clock::time_point started;

  /// Whether reading waits: the operator's hold, or a partition out of
  /// credit (lines are dealt round robin, so every partition waits for the
  /// slowest).
  bool blocked() const {
    return flow.held() || flow.count(flow_state::backpressure) > 0;
  }

  void schedule_poll() {
    if (poll_scheduled || at_end || drained || stopping || blocked())
      return;
    poll_scheduled = true;
    self->send(self, atom::poll_v);
  }

  void apply_hold() {
    bool wanted = settings.status && settings.status->hold.load();
    if (wanted == flow.held())
      return;
    flow.hold(wanted);
    flow.reconcile();
    logf(log_level::info, "file_source",
         wanted ? "reading paused by the operator"
                : "reading resumed by the operator");
    publish(true);
  }

  void on_line(std::string_view line) {
    if (line.empty())
      return; // not a record
    auto n = static_cast<uint64_t>(settings.partitions);
    auto k = records++;
    auto p = static_cast<size_t>(k % n);
    auto offset = next_record[p]++;
    auto& info = *slots[p];
    if (offset < info.next_offset) {
      ++skipped; // durable in the checkpoint
      return;
    }
    auto& batch = info.pending;
    if (batch.offsets.empty()) {
      // One allocation per batch, sized by the lines seen so far: growing
      // it by doubling copied every batch twice and faulted in fresh pages
      // for each step (half the process's time in a profile).
      auto per_record = bytes_read / std::max<uint64_t>(1, records - skipped);
      batch.offsets.reserve(settings.max_batch);
      batch.ends.reserve(settings.max_batch);
      batch.bytes.reserve(settings.max_batch * (per_record + per_record / 8)
                          + parse_padding);
    }
    bytes_read += line.size();
    append_record(batch, offset, line.data(), line.size());
    if (info.pending.offsets.size() >= settings.max_batch) {
      // The rest of the chunk is still dealt: the credit is exceeded by at
      // most one chunk's batches.
      if (send_pending(self, static_cast<int32_t>(p), info))
        flow.reconcile();
    }
  }

  void on_poll() {
    poll_scheduled = false;
    if (drained || stopping || at_end)
      return;
    apply_hold();
    if (blocked())
      return; // an ack or the end of the hold polls again
    chunk.clear();
    auto got = reader->read(chunk);
    if (!got) {
      self->quit(caf::make_error(caf::sec::runtime_error,
                                 "file_source: " + got.error()));
      return;
    }
    if (*got == 0) {
      lines.finish([this](std::string_view line) { on_line(line); });
      reach_end();
      return;
    }
    lines.feed(chunk, [this](std::string_view line) { on_line(line); });
    for (auto& [p, info] : partitions)
      info.fetched = true;
    publish(false);
    schedule_poll();
  }

  /// The end of the file: every partition ends at its record count.
  void reach_end() {
    at_end = true;
    reader.reset();
    for (auto& [p, info] : partitions) {
      send_pending(self, p, info);
      info.fetched = true;
      info.end_offset = next_record[static_cast<size_t>(p)];
      if (info.next_offset > info.end_offset)
        logf(log_level::warning, "file_source",
             "the checkpoint stores offset %lld of partition %d, beyond its "
             "%lld records in %s: was the file replaced? (a database holds "
             "the progress of one file; give a new file its own --db)",
             static_cast<long long>(info.next_offset), p,
             static_cast<long long>(info.end_offset), settings.path.c_str());
      finish_if_done(self, p, info);
    }
    flow.reconcile();
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                              - started)
                    .count();
    logf(log_level::info, "file_source",
         "read %llu records of %s in %.2f s (%llu skipped: before the "
         "checkpoint)",
         static_cast<unsigned long long>(records), settings.path.c_str(), secs,
         static_cast<unsigned long long>(skipped));
    publish(true);
  }

  void on_ack(int32_t partition, uint64_t batch_epoch, uint32_t batches) {
    if (batch_epoch != epoch)
      return;
    auto it = partitions.find(partition);
    if (it == partitions.end())
      return;
    it->second.acked += batches;
    flow.acked(partition, batches);
    flow.reconcile();
    schedule_poll();
  }

  void begin_checkpoint() {
    auto id = next_checkpoint++;
    if (inject_barriers(self, merger, id))
      flow.reconcile();
    checkpoint_in_flight = id;
    checkpoint_started = std::chrono::steady_clock::now();
  }

  void on_tick() {
    self->delayed_send(self, settings.checkpoint_interval, atom::tick_v);
    apply_hold();
    schedule_poll();
    if (checkpoint_in_flight != 0 || all_finished() || stopping)
      return;
    begin_checkpoint();
  }

  void on_shutdown() {
    if (stopping || drained)
      return;
    stopping = true;
    if (all_finished()) {
      stop_checkpoint = UINT64_MAX; // the merger's final one is on its way
      return;
    }
    if (checkpoint_in_flight == 0)
      begin_checkpoint();
    stop_checkpoint = checkpoint_in_flight;
  }

  void on_durable(const checkpoint_durable& msg) {
    next_checkpoint = std::max(next_checkpoint, msg.checkpoint + 1);
    last_durable = std::max(last_durable, msg.checkpoint);
    if (msg.checkpoint == checkpoint_in_flight) {
      checkpoint_in_flight = 0;
      if (settings.metrics)
        settings.metrics->checkpoint_duration().Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now()
                                          - checkpoint_started)
                .count());
    }
    if (settings.status)
      settings.status->last_durable_ms
          = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
    if (drained)
      return;
    if ((final_checkpoint != 0 && msg.checkpoint >= final_checkpoint)
        || (stopping && msg.checkpoint >= stop_checkpoint)) {
      drained = true;
      self->send(listener, atom::drained_v, msg.checkpoint);
    }
  }

  /// The merger closed the final checkpoint `id` (every window flushed at
  /// the end offsets): the drain ends once it is durable. A checkpoint
  /// begun just before the end of the file may store the end offsets too,
  /// without the flushed windows: only this one counts.
  void on_final(uint64_t id) {
    final_checkpoint = id;
    if (!drained && last_durable >= id) {
      drained = true;
      self->send(listener, atom::drained_v, last_durable);
    }
  }

  void publish(bool force) {
    if (!settings.metrics && !settings.status)
      return;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_publish < publish_interval)
      return;
    last_publish = now;
    std::map<int32_t, int64_t> lag;
    std::map<int32_t, partition_position> positions;
    for (auto& [p, info] : partitions) {
      auto& pos = positions[p] = describe(p, info, settings.credit);
      if (at_end) {
        pos.end_offset = info.end_offset;
        lag[p] = std::max<int64_t>(0, info.end_offset - info.next_offset);
      }
    }
    if (settings.metrics) {
      auto& m = *settings.metrics;
      m.inflight_batches().Set(static_cast<double>(flow.total_in_flight()));
      m.paused_partitions().Set(
          static_cast<double>(flow.count(flow_state::backpressure)));
      m.held_partitions().Set(
          static_cast<double>(flow.count(flow_state::held)));
      m.assigned_partitions().Set(static_cast<double>(partitions.size()));
      for (auto& [p, n] : lag)
        m.consumer_lag(p).Set(static_cast<double>(n));
    }
    if (settings.status) {
      settings.status->assigned = static_cast<int32_t>(partitions.size());
      std::lock_guard<std::mutex> guard{settings.status->mtx};
      settings.status->lag = std::move(lag);
      settings.status->positions = std::move(positions);
    }
  }
};

caf::behavior file_source_state::make_behavior(file_source_config cfg,
                                               caf::actor merger_handle,
                                               caf::actor dead_letters,
                                               task_factory make_task,
                                               caf::actor listener_handle) {
  settings = std::move(cfg);
  merger = std::move(merger_handle);
  listener = std::move(listener_handle);
  status = settings.status;
  epoch = next_source_epoch();
  started = std::chrono::steady_clock::now();
  next_checkpoint = settings.resume.checkpoint + 1;
  last_durable = settings.resume.checkpoint;
  // Whatever the merger applied after the checkpoint is read again: roll it
  // back first (same sender: before the assignments and batches).
  self->send(merger, atom::rollback_v, settings.resume.merger_state,
             settings.resume.checkpoint, epoch);
  auto opened = chunk_reader::open(settings.path, settings.chunk_size);
  if (!opened) {
    self->quit(caf::make_error(caf::sec::invalid_argument,
                               "file_source: " + opened.error()));
    return {};
  }
  reader.emplace(std::move(opened.value()));
  flow = partition_flow{settings.credit};
  flow.hold(settings.status && settings.status->hold.load());
  auto n = std::max<int32_t>(1, settings.partitions);
  settings.partitions = n;
  slots.resize(static_cast<size_t>(n));
  next_record.assign(static_cast<size_t>(n), 0);
  for (int32_t p = 0; p < n; ++p) {
    source_partition info;
    auto stored = settings.resume.offsets.find(p);
    info.next_offset
        = stored != settings.resume.offsets.end() ? stored->second : 0;
    info.end_offset = INT64_MAX;
    info.pending.partition = p;
    info.pending.epoch = epoch;
    info.task = make_task(p, merger, dead_letters);
    self->link_to(info.task);
    self->send(merger, atom::assign_v, p);
    partitions[p] = std::move(info);
    flow.assign(p);
  }
  for (auto& [p, info] : partitions)
    slots[static_cast<size_t>(p)] = &info;
  flow.reconcile();
  logf(log_level::info, "file_source", "reading %s%s into %d partitions%s",
       settings.path.c_str(), reader->compressed() ? " (gzip)" : "", n,
       settings.resume.checkpoint != 0
           ? (" from checkpoint " + std::to_string(settings.resume.checkpoint))
                 .c_str()
           : "");
  publish(true);
  schedule_poll();
  self->delayed_send(self, settings.checkpoint_interval, atom::tick_v);
  return {
      [this](atom::poll) { on_poll(); },
      [this](atom::ack, int32_t partition, uint64_t batch_epoch,
             uint32_t batches) { on_ack(partition, batch_epoch, batches); },
      [this](atom::tick) { on_tick(); },
      [this](atom::shutdown) { on_shutdown(); },
      [this](const checkpoint_durable& msg) { on_durable(msg); },
      [this](atom::final, uint64_t id) { on_final(id); },
  };
}

} // namespace

caf::actor spawn_file_source_actor(caf::actor_system& sys,
                                   file_source_config settings,
                                   caf::actor merger, caf::actor dead_letters,
                                   task_factory make_task,
                                   caf::actor listener) {
  return spawn_stateful<file_source_state, caf::detached>(
      sys, std::move(settings), std::move(merger), std::move(dead_letters),
      std::move(make_task), std::move(listener));
}

} // namespace vigil
