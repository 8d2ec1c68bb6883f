#include "actors/sink/db_writer.hpp"

#include "runtime/event_kind.hpp"

#include "runtime/stage_log.hpp"
#include <chrono>

#include "runtime/spawn.hpp"
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/sec.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/detect/baseline.hpp"
#include "actors/node/metrics.hpp"
#include "runtime/db_location.hpp"

namespace vigil {

db_writer_state::db_writer_state(db_writer_actor* self) : self_(self) {
  // nop
}

db_result<std::unique_ptr<result_store>> db_writer_state::open_store() {
  auto store = open_result_store(cfg_.path, cfg_.busy_timeout_ms,
                                 cfg_.keep_checkpoints);
  if (store && cfg_.kind)
    if (auto st = (*store)->use_kind(*cfg_.kind); !st)
      return st.error();
  return store;
}

caf::behavior db_writer_state::make_behavior(db_writer_config cfg) {
  cfg_ = std::move(cfg);
  backoff_.emplace(cfg_.retry, cfg_.seed);
  // Open now so that a bad path fails at start; a locked database is only
  // retried when there is something to write.
  auto store = open_store();
  if (store) {
    store_ = std::move(*store);
  } else if (!store.error().retryable) {
    log("db_writer: cannot open " + redact_db_url(cfg_.path) + ": "
        + store.error().message);
    self_->quit(
        caf::make_error(caf::sec::runtime_error, store.error().message));
    return {};
  }
  return {
      [this](result_batch& batch) { on_batch(batch); },
      [this](atom::flush) -> caf::result<uint64_t> {
        auto rp = self_->make_response_promise<uint64_t>();
        on_flush(rp);
        return rp;
      },
      [this](atom::stats) { return stats(); },
      [this](atom::retry) { on_retry(); },
  };
}

db_writer_stats db_writer_state::stats() const {
  auto result = stats_;
  result.buffered_rows = rows_.size();
  return result;
}

// -- callbacks ----------------------------------------------------------------

void db_writer_state::on_batch(result_batch& batch) {
  for (auto& row : batch.rows) {
    row_key key{row.service, row.window_start};
    rows_.insert_or_assign(std::move(key), std::move(row));
  }
  for (auto& anomaly : batch.anomalies) {
    anomaly_key key{anomaly.service, anomaly.window_start, anomaly.metric};
    anomalies_.insert_or_assign(std::move(key), std::move(anomaly));
  }
  for (auto& incident : batch.incidents) {
    auto id = incident.id;
    incidents_.insert_or_assign(id, std::move(incident));
  }
  if (batch.checkpoint > 0) {
    batch.rows.clear();
    batch.anomalies.clear();
    batch.incidents.clear();
    auto id = batch.checkpoint;
    checkpoints_.push_back(std::move(batch));
    if (cfg_.dead_letters)
      flush_dead_letters(id);
    else
      try_commit();
  } else if (rows_.size() >= cfg_.max_buffered_rows) {
    try_commit();
  }
}

void db_writer_state::on_flush(caf::typed_response_promise<uint64_t> rp) {
  if (!has_pending()) {
    rp.deliver(uint64_t{0});
    return;
  }
  flush_waiters_.push_back(std::move(rp));
  try_commit();
}

void db_writer_state::on_retry() {
  retry_scheduled_ = false;
  try_commit();
}

// -- commits ------------------------------------------------------------------

void db_writer_state::flush_dead_letters(uint64_t checkpoint) {
  // Every dead letter of a record before the checkpoint's barriers was sent
  // to the producer before its task passed the barrier on: this request
  // arrives behind all of them.
  auto fail = [this, checkpoint](caf::error err) {
    // Committing without the dead letters could lose them: stop, and let
    // the pipeline replay from the last durable checkpoint.
    log("db_writer: dead-letter flush for checkpoint "
        + std::to_string(checkpoint)
        + " failed, stopping: " + caf::to_string(err));
    self_->quit(std::move(err));
  };
  auto dlq = cfg_.dead_letters();
  if (!dlq) {
    fail(caf::make_error(caf::sec::invalid_argument,
                         "no dead-letter producer running"));
    return;
  }
  ++awaiting_dead_letters_;
  // The producer waits for its dead letters as long as it keeps them (5 min
  // and a margin; a broker outage delays the checkpoint instead of failing
  // it), then up to 45 s for the topic's end offsets: wait longer than both.
  self_->request(dlq, std::chrono::minutes(7), atom::flush_v, checkpoint)
      .then(
          [this, checkpoint](dead_letter_positions& reply) {
            --awaiting_dead_letters_;
            for (auto& cp : checkpoints_)
              if (cp.checkpoint == checkpoint)
                cp.dead_letter_positions = std::move(reply.positions);
            try_commit();
          },
          [fail](caf::error& err) { fail(std::move(err)); });
}

bool db_writer_state::has_pending() const noexcept {
  return !rows_.empty() || !anomalies_.empty() || !incidents_.empty()
         || !checkpoints_.empty();
}

void db_writer_state::try_commit() {
  if (retry_scheduled_ || awaiting_dead_letters_ > 0 || !has_pending())
    return;
  if (!store_) {
    auto store = open_store();
    if (!store) {
      on_failure(store.error());
      return;
    }
    store_ = std::move(*store);
  }
  auto batch = combined();
  auto started = std::chrono::steady_clock::now();
  if (auto st = store_->commit(batch, cfg_.topic, now(), cfg_.dlq_topic); !st) {
    on_failure(st.error());
    return;
  }
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                            - started)
                  .count();
  stats_.commit_seconds += took;
  if (cfg_.metrics)
    record_commit(batch, took);
  on_success(batch);
}

result_batch db_writer_state::combined() const {
  result_batch result;
  result.rows.reserve(rows_.size());
  for (const auto& kvp : rows_)
    result.rows.push_back(kvp.second);
  result.anomalies.reserve(anomalies_.size());
  for (const auto& kvp : anomalies_)
    result.anomalies.push_back(kvp.second);
  result.incidents.reserve(incidents_.size());
  for (const auto& kvp : incidents_)
    result.incidents.push_back(kvp.second);
  if (checkpoints_.empty())
    return result;
  // The newest checkpoint supersedes older pending ones; a partition only in
  // an older one keeps that offset.
  const auto& newest = checkpoints_.back();
  result.checkpoint = newest.checkpoint;
  result.merger_state = newest.merger_state;
  result.detector_state = newest.detector_state;
  result.narrator_state = newest.narrator_state;
  result.dead_letter_positions = newest.dead_letter_positions;
  std::map<int32_t, int64_t> offsets;
  for (const auto& cp : checkpoints_)
    for (const auto& offset : cp.offsets)
      offsets[offset.partition] = offset.next_offset;
  for (const auto& [partition, next_offset] : offsets)
    result.offsets.push_back(partition_offset{partition, next_offset});
  return result;
}

void db_writer_state::on_success(const result_batch& batch) {
  if (attempts_ > 0) {
    log("db_writer: database available again, committed after "
        + std::to_string(attempts_ + 1) + " attempts");
    attempts_ = 0;
  }
  backoff_->reset();
  rows_.clear();
  anomalies_.clear();
  incidents_.clear();
  ++stats_.transactions;
  stats_.rows_written += batch.rows.size();
  stats_.anomalies_written += batch.anomalies.size();
  stats_.incidents_written += batch.incidents.size();
  auto checkpoints = std::move(checkpoints_);
  checkpoints_.clear();
  stats_.checkpoints += checkpoints.size();
  if (cfg_.dead_letters && !batch.offsets.empty())
    if (auto dlq = cfg_.dead_letters())
      self_->send(dlq, checkpoint_durable{batch.checkpoint, batch.offsets});
  for (auto& cp : checkpoints) {
    auto listener = cp.durable_to ? cp.durable_to : cfg_.durable_listener;
    if (listener)
      self_->send(listener,
                  checkpoint_durable{cp.checkpoint, std::move(cp.offsets)});
  }
  auto waiters = std::move(flush_waiters_);
  flush_waiters_.clear();
  for (auto& rp : waiters)
    rp.deliver(static_cast<uint64_t>(batch.rows.size()));
}

void db_writer_state::on_failure(const db_error& err) {
  if (!err.retryable) {
    log("db_writer: database error, stopping: " + err.message);
    auto reason = caf::make_error(caf::sec::runtime_error, err.message);
    for (auto& rp : flush_waiters_)
      rp.deliver(reason);
    flush_waiters_.clear();
    self_->quit(std::move(reason));
    return;
  }
  ++attempts_;
  ++stats_.retries;
  if (cfg_.metrics)
    cfg_.metrics->db_retries().Increment();
  // The delay grows within an episode; `reset` on success starts over.
  auto t = backoff_policy::clock_time{};
  auto delay = backoff_->next_delay(t, t);
  // One line per episode. A SQLite error carries its result code (a lock);
  // a PostgreSQL one is a lost or refused connection and names it.
  if (attempts_ == 1)
    log("db_writer: "
        + (err.code != 0 ? std::string{"database locked"}
                         : "database unavailable (" + err.message + ")")
        + ", retrying in " + std::to_string(delay.count()) + " ms (attempt "
        + std::to_string(attempts_) + ")");
  retry_scheduled_ = true;
  self_->delayed_send(self_, delay, atom::retry::value);
}

void db_writer_state::record_commit(const result_batch& batch, double seconds) {
  auto& m = *cfg_.metrics;
  m.db_transactions().Increment();
  m.db_write_duration().Observe(seconds);
  m.db_rows_written().Increment(
      static_cast<double>(batch.rows.size() + batch.anomalies.size()));
  m.checkpoints().Increment(static_cast<double>(checkpoints_.size()));
  for (const auto& a : batch.anomalies)
    for (auto level : {severity::none, severity::low, severity::medium,
                       severity::high, severity::critical})
      if (a.severity == to_string(level))
        m.anomalies(level).Increment();
}

void db_writer_state::log(const std::string& line) const {
  log_line(cfg_.log, line);
}

int64_t db_writer_state::now() const {
  if (cfg_.now_ms)
    return cfg_.now_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

// -- actor --------------------------------------------------------------------

caf::actor spawn_db_writer_actor(caf::actor_system& sys, db_writer_config cfg) {
  return spawn_stateful<db_writer_state>(sys, std::move(cfg));
}

} // namespace vigil
