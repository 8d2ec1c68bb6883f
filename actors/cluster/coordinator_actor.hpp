#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

namespace vigil {

class metric_factory;
struct source_status;
struct source_resume;

/// Settings of the store's checkpoint coordinator.
struct coordinator_config {
  /// Interval between checkpoints.
  std::chrono::milliseconds checkpoint_interval{1000};
  /// An ingest node silent this long (no heartbeat) is treated as lost.
  std::chrono::milliseconds heartbeat_timeout{6000};
  /// Partitions claimed by two nodes this long make those nodes rejoin the
  /// consumer group (a rebalance normally settles within seconds).
  std::chrono::milliseconds contested_timeout{15000};
  /// Drain mode: once a durable checkpoint holds every partition at the end
  /// offset its owner saw at assignment, `listener` and every node get
  /// `(atom::drained, checkpoint)`.
  bool drain = false;
  /// Reads the latest durable checkpoint.
  std::function<bool(source_resume& out, std::string& error)> reload;
  /// The current merger and dead-letter producer (registry lookups).
  std::function<caf::actor()> merger;
  std::function<caf::actor()> dead_letters;
  /// Metrics of the store (may be null).
  std::shared_ptr<metric_factory> metrics;
  /// The cluster's partitions as the store's HTTP handlers and console see
  /// them (may be null).
  std::shared_ptr<source_status> status;
};

/// Spawns the coordinator of a cluster's store: it records which ingest
/// node owns which partitions (as the consumer group assigned them), starts
/// a new generation at every change (the merger rolls back to the last
/// durable checkpoint, every node restarts its partitions there), runs the
/// cluster only while every partition has exactly one owner, injects
/// checkpoints, forwards the merger's acknowledgements to the owning node and
/// durable checkpoints to every node. Answers `(atom::nodes)` with a
/// `cluster_view`.
caf::actor spawn_coordinator_actor(caf::actor_system& sys,
                                   coordinator_config settings,
                                   caf::actor listener);

/// Spawns the store's gateway, the actor published on --cluster-port: it
/// answers `coordinator_request` with the coordinator registered as `coord`.
caf::actor spawn_cluster_gateway_actor(caf::actor_system& sys);

} // namespace vigil
