#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vigil {

/// The store's bookkeeping of a cluster: which ingest node reported which
/// partitions, whether every partition of the topic has exactly one owner,
/// and the generation. Kafka's consumer group decides the assignment; this
/// class only records what the nodes report and says when the cluster may
/// run.
///
/// Every change (a node joins, reports, leaves) starts a new generation:
/// the merger rolls back to the last durable checkpoint and every node
/// restarts its partitions there, so contributions read under an earlier
/// owner are discarded by their epoch and nothing is counted twice.
///
/// The cluster runs only while every partition of the topic has exactly
/// one owner: windows are emitted from the watermark of all partitions, so
/// a partition without a reader would let windows close without its events.
class cluster_membership {
public:
  /// `first_generation`: the first generation this instance hands out
  /// (unique per store incarnation, so that epochs never repeat).
  explicit cluster_membership(uint64_t first_generation);

  /// A node connected (or reconnected: its old report is dropped).
  void join(const std::string& node, int32_t topic_partitions);

  /// A node's consumer-group assignment.
  void report(const std::string& node, std::vector<int32_t> partitions,
              int32_t topic_partitions);

  /// A node is gone (connection lost, heartbeat timeout). Returns false if
  /// it was not a member.
  bool leave(const std::string& node);

  /// Starts the next generation and returns it.
  uint64_t next_generation();

  /// The current generation (0 before the first).
  uint64_t generation() const noexcept {
    return generation_;
  }

  /// Partitions of the topic (largest count any node reported; -1 unknown).
  int32_t topic_partitions() const noexcept {
    return topic_partitions_;
  }

  /// True if every partition of the topic has exactly one owner.
  bool covered() const;

  /// Partitions without an owner (sorted).
  std::vector<int32_t> unowned() const;

  /// Partitions reported by more than one node (sorted); normal for a
  /// moment during a rebalance (a revocation report still in flight).
  std::vector<int32_t> contested() const;

  /// Every owned partition (sorted, each once).
  std::vector<int32_t> owned() const;

  /// The partitions `node` reported.
  const std::vector<int32_t>& partitions_of(const std::string& node) const;

  /// The node owning `partition` ("" if none or contested).
  std::string owner(int32_t partition) const;

  /// Names of the members.
  std::vector<std::string> members() const;

  bool is_member(const std::string& node) const {
    return nodes_.count(node) > 0;
  }

private:
  std::map<std::string, std::vector<int32_t>> nodes_;
  int32_t topic_partitions_ = -1;
  uint64_t generation_ = 0;
  uint64_t next_ = 0;
};

} // namespace vigil
