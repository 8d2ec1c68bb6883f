#pragma once

// Messages between the nodes of a cluster (role ingest and role store), over
// CAF's networking. Every type id is announced in actors/messages.hpp.
//
// Contract:
// - ingest source -> store coordinator: `node_hello` once per connection,
//   `assignment_report` after every consumer-group assignment or
//   revocation, `node_heartbeat` every second.
// - coordinator -> ingest source: `cluster_resume` after every change of
//   membership or assignment (a new generation: the source restarts its
//   partitions at the checkpoint's offsets, or holds them), `cluster_barrier`
//   to inject the barriers of a checkpoint, `checkpoint_durable` once one is
//   committed, `(atom::ack, partition, epoch, batches)` forwarded from the
//   merger, and
//   `(atom::drained, checkpoint)` when a cluster drain is complete.
// - ingest partition tasks -> store merger and dead-letter producer: the
//   messages of a single node (`partial_batch`, `partition_barrier`,
//   `partition_end`, `dead_letter_batch`); only per-batch window partials
//   cross the network, never single events.
// - the store's gateway (published on --cluster-port) answers
//   `coordinator_request` with the current coordinator.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/ingest/messages.hpp"

namespace vigil {

/// An ingest node introduces itself to the coordinator.
struct node_hello {
  /// Unique name of the node (--node-name, default host:pid).
  std::string name;
  /// "ingest" or "all".
  std::string role;
  /// Host name and process id, for the operator.
  std::string address;
  /// Partitions of the topic in the broker's metadata (-1 if unknown).
  int32_t topic_partitions = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_hello& x) {
  return f(caf::meta::type_name("node_hello"), x.name, x.role, x.address,
           x.topic_partitions);
}

/// The partitions the consumer group assigned to an ingest node.
struct assignment_report {
  /// The partitions (empty after a revocation).
  std::vector<int32_t> partitions;
  /// End offset of each partition at assignment (same order; -1 unknown).
  std::vector<int64_t> end_offsets;
  /// Partitions of the topic in the broker's metadata (-1 if unknown).
  int32_t topic_partitions = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, assignment_report& x) {
  return f(caf::meta::type_name("assignment_report"), x.partitions,
           x.end_offsets, x.topic_partitions);
}

/// A new generation of the cluster: every ingest source restarts the
/// partitions it is given at the checkpoint's offsets (or holds them all
/// while `run` is false).
struct cluster_resume {
  /// The generation: the epoch stamped on every batch, barrier and end.
  uint64_t generation = 0;
  /// False: hold every partition (some partition of the topic has no
  /// connected owner, or the store is not ready).
  bool run = false;
  /// The durable checkpoint the generation starts from (0: none).
  uint64_t checkpoint = 0;
  /// Its offsets (partitions absent start at the start position).
  std::vector<partition_offset> offsets;
  /// The partitions this node starts (those it reported).
  std::vector<int32_t> partitions;
  /// Where its partition tasks send partials, barriers and ends.
  caf::actor merger;
  /// Where its partition tasks send dead letters.
  caf::actor dead_letters;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_resume& x) {
  return f(caf::meta::type_name("cluster_resume"), x.generation, x.run,
           x.checkpoint, x.offsets, x.partitions, x.merger, x.dead_letters);
}

/// Inject the barriers of checkpoint `checkpoint` (generation `generation`).
struct cluster_barrier {
  uint64_t checkpoint = 0;
  uint64_t generation = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_barrier& x) {
  return f(caf::meta::type_name("cluster_barrier"), x.checkpoint, x.generation);
}

/// What an ingest node reports every second (and the store shows in
/// `vigil console nodes`, /api/status and the dashboard).
struct node_heartbeat {
  /// Partitions with a running task.
  std::vector<int32_t> partitions;
  /// Summed consumer lag of those partitions (-1 unknown).
  int64_t lag = -1;
  /// Source restarts of the node since it started.
  uint64_t restarts = 0;
  /// The generation its tasks run in (0: holding).
  uint64_t generation = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_heartbeat& x) {
  return f(caf::meta::type_name("node_heartbeat"), x.partitions, x.lag,
           x.restarts, x.generation);
}

/// Asks the store's gateway for the current coordinator.
struct coordinator_request {
  /// The asking node's name (for the gateway's log).
  std::string name;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, coordinator_request& x) {
  return f(caf::meta::type_name("coordinator_request"), x.name);
}

/// The store-side link of an ingest source came up or went down.
struct store_link_event {
  /// The coordinator (invalid when down).
  caf::actor coordinator;
  /// Why the link went down ("" when up).
  std::string reason;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, store_link_event& x) {
  return f(caf::meta::type_name("store_link_event"), x.coordinator, x.reason);
}

/// One node of the cluster, as the store lists it.
struct node_row {
  std::string name;
  std::string role;
  std::string address;
  std::vector<int32_t> partitions;
  int64_t lag = -1;
  uint64_t restarts = 0;
  /// Wall clock of its last heartbeat, epoch ms.
  int64_t last_heartbeat_ms = 0;
  /// Wall clock it joined, epoch ms.
  int64_t joined_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_row& x) {
  return f(caf::meta::type_name("node_row"), x.name, x.role, x.address,
           x.partitions, x.lag, x.restarts, x.last_heartbeat_ms, x.joined_ms);
}

/// The store's view of its cluster.
struct cluster_view {
  uint64_t generation = 0;
  bool running = false;
  int32_t topic_partitions = -1;
  /// Partitions of the topic no connected node owns.
  std::vector<int32_t> unowned;
  std::vector<node_row> nodes;
  /// Node losses since the store started.
  uint64_t node_losses = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_view& x) {
  return f(caf::meta::type_name("cluster_view"), x.generation, x.running,
           x.topic_partitions, x.unowned, x.nodes, x.node_losses);
}

} // namespace vigil
