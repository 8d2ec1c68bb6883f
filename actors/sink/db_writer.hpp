#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/messages.hpp"
#include "actors/sink/result_store.hpp"
#include "runtime/backoff.hpp"

namespace vigil {

struct kind_schema;

class metric_factory;

/// Configuration of the database writer.
struct db_writer_config {
  /// SQLite database file (its directory is created if missing) or
  /// PostgreSQL URL.
  std::string path = "./data/vigil.db";
  /// Source topic the checkpoint offsets belong to.
  std::string topic = "raw_events";
  /// An event kind other than request: window rows go to its table
  /// (`result_store::use_kind`).
  std::shared_ptr<const kind_schema> kind;
  /// Delays between attempts while the database is locked.
  backoff_config retry;
  /// Seed of the backoff jitter.
  uint64_t seed = 0;
  /// Wall clock in epoch milliseconds (checkpoint times, rows without one);
  /// the system clock if empty.
  std::function<int64_t()> now_ms;
  /// Receives a `checkpoint_durable` after each committed checkpoint whose
  /// batch names no `durable_to` of its own.
  caf::actor durable_listener;
  /// How long SQLite itself waits for a lock before reporting busy.
  int busy_timeout_ms = 100;
  /// Checkpoints kept in the database.
  size_t keep_checkpoints = result_store::default_keep_checkpoints;
  /// Buffered rows that force a commit without waiting for a checkpoint
  /// (bounds memory when checkpoints stall; upserts keep this correct).
  size_t max_buffered_rows = 100000;
  /// Writes one diagnostic line; stderr if empty.
  std::function<void(const std::string&)> log;
  /// Updated once per transaction (rows, transactions, checkpoints, write
  /// duration, anomalies by severity) and per retry; may be null.
  std::shared_ptr<metric_factory> metrics;
  /// Finds the running dead-letter producer; if set, every checkpoint waits
  /// for its flush (`atom::flush`, checkpoint id) before it is committed,
  /// stores the `dead_letter_positions` it replies as offsets of
  /// `dlq_topic`, and the producer learns of each durable checkpoint. A
  /// failed flush stops the writer (the pipeline replays from the last
  /// checkpoint).
  std::function<caf::actor()> dead_letters;
  /// The dead-letter topic, for the positions stored with checkpoints.
  std::string dlq_topic;
};

/// Counters of the database writer, the reply to `atom::stats`.
struct db_writer_stats {
  /// Window rows written (an upserted row counts again).
  uint64_t rows_written = 0;
  /// Anomaly rows written.
  uint64_t anomalies_written = 0;
  /// Incident rows written (an upserted incident counts again).
  uint64_t incidents_written = 0;
  /// Committed transactions.
  uint64_t transactions = 0;
  /// Checkpoints made durable.
  uint64_t checkpoints = 0;
  /// Attempts that found the database locked.
  uint64_t retries = 0;
  /// Rows waiting for the next commit.
  uint64_t buffered_rows = 0;
  /// Wall time spent in successful commits, seconds: the store's own share
  /// of a drain, whatever the broker and the machine's load add around it.
  double commit_seconds = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, db_writer_stats& x) {
  return f(caf::meta::type_name("db_writer_stats"), x.rows_written,
           x.anomalies_written, x.transactions, x.checkpoints, x.retries,
           x.buffered_rows, x.incidents_written, x.commit_seconds);
}

/// State of the single writer of the database. Rows, anomalies and incidents
/// of `result_batch`es without a checkpoint are buffered (newest emission of
/// a key wins) and written in ONE transaction with the next checkpoint's
/// states and offsets.
/// A locked (SQLite) or unreachable (PostgreSQL) database is retried with
/// backoff, never dropping a batch; any
/// other database error terminates the actor (its supervisor restarts it and
/// the pipeline replays from the last checkpoint).
class db_writer_state {
public:
  static inline const char* name = "db_writer";

  explicit db_writer_state(caf::stateful_actor<db_writer_state>* self);

  /// Takes the configuration, opens the database and returns the behavior.
  caf::behavior make_behavior(db_writer_config cfg);

  /// Opens the store and, for an event kind, its table.
  db_result<std::unique_ptr<result_store>> open_store();

  /// Counters so far.
  db_writer_stats stats() const;

  // -- callbacks
  // ---------------------------------------------------------------

  /// Buffers `batch`; commits if it closes a checkpoint.
  void on_batch(result_batch& batch);

  /// Commits what is buffered; `rp` gets the number of rows written.
  void on_flush(caf::typed_response_promise<uint64_t> rp);

  /// A backoff delay expired.
  void on_retry();

private:
  using row_key = std::pair<std::string, int64_t>;
  using anomaly_key = std::tuple<std::string, int64_t, std::string>;

  bool has_pending() const noexcept;

  /// Asks the dead-letter producer to flush for the checkpoint just
  /// buffered; commits once it replied.
  void flush_dead_letters(uint64_t checkpoint);

  /// Commits everything buffered, unless a retry is already scheduled or a
  /// checkpoint waits for its dead letters.
  void try_commit();

  /// Builds the batch for one transaction from the buffers.
  result_batch combined() const;

  void on_success(const result_batch& batch);

  void on_failure(const db_error& err);

  /// Updates the metrics after committing `batch` in `seconds`.
  void record_commit(const result_batch& batch, double seconds);

  void log(const std::string& line) const;

  int64_t now() const;

  caf::stateful_actor<db_writer_state>* self_;
  db_writer_config cfg_;
  std::unique_ptr<result_store> store_;
  std::optional<backoff_policy> backoff_;
  std::map<row_key, window_row> rows_;
  std::map<anomaly_key, anomaly_row> anomalies_;
  std::map<int64_t, incident_row> incidents_;
  /// Checkpoints received but not yet durable, in arrival order (rows,
  /// anomalies and incidents moved into the buffers).
  std::vector<result_batch> checkpoints_;
  std::vector<caf::typed_response_promise<uint64_t>> flush_waiters_;
  bool retry_scheduled_ = false;
  /// Checkpoints waiting for the dead-letter producer's flush.
  size_t awaiting_dead_letters_ = 0;
  /// Failed attempts in the current failure episode.
  uint32_t attempts_ = 0;
  db_writer_stats stats_;
};

/// The database writer actor.
using db_writer_actor = caf::stateful_actor<db_writer_state>;

/// Spawns the database writer.
caf::actor spawn_db_writer_actor(caf::actor_system& sys, db_writer_config cfg);

} // namespace vigil
