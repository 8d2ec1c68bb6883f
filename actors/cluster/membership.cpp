#include "actors/cluster/membership.hpp"

#include <algorithm>
#include <set>

namespace vigil {

cluster_membership::cluster_membership(uint64_t first_generation)
    : next_(first_generation) {
  // nop
}

void cluster_membership::join(const std::string& node,
                              int32_t topic_partitions) {
  nodes_[node].clear();
  topic_partitions_ = std::max(topic_partitions_, topic_partitions);
}

void cluster_membership::report(const std::string& node,
                                std::vector<int32_t> partitions,
                                int32_t topic_partitions) {
  std::sort(partitions.begin(), partitions.end());
  partitions.erase(std::unique(partitions.begin(), partitions.end()),
                   partitions.end());
  nodes_[node] = std::move(partitions);
  topic_partitions_ = std::max(topic_partitions_, topic_partitions);
}

bool cluster_membership::leave(const std::string& node) {
  return nodes_.erase(node) > 0;
}

uint64_t cluster_membership::next_generation() {
  generation_ = next_++;
  return generation_;
}

bool cluster_membership::covered() const {
  if (topic_partitions_ <= 0)
    return false;
  std::vector<int> owners(static_cast<size_t>(topic_partitions_), 0);
  for (const auto& [node, parts] : nodes_)
    for (auto p : parts)
      if (p >= 0 && p < topic_partitions_)
        ++owners[static_cast<size_t>(p)];
  return std::all_of(owners.begin(), owners.end(),
                     [](int n) { return n == 1; });
}

std::vector<int32_t> cluster_membership::unowned() const {
  std::set<int32_t> all;
  for (int32_t p = 0; p < topic_partitions_; ++p)
    all.insert(p);
  for (const auto& [node, parts] : nodes_)
    for (auto p : parts)
      all.erase(p);
  return {all.begin(), all.end()};
}

std::vector<int32_t> cluster_membership::contested() const {
  std::map<int32_t, int> count;
  for (const auto& [node, parts] : nodes_)
    for (auto p : parts)
      ++count[p];
  std::vector<int32_t> out;
  for (const auto& [p, n] : count)
    if (n > 1)
      out.push_back(p);
  return out;
}

std::vector<int32_t> cluster_membership::owned() const {
  std::set<int32_t> all;
  for (const auto& [node, parts] : nodes_)
    all.insert(parts.begin(), parts.end());
  return {all.begin(), all.end()};
}

const std::vector<int32_t>&
cluster_membership::partitions_of(const std::string& node) const {
  static const std::vector<int32_t> none;
  auto it = nodes_.find(node);
  return it == nodes_.end() ? none : it->second;
}

std::string cluster_membership::owner(int32_t partition) const {
  std::string found;
  for (const auto& [node, parts] : nodes_) {
    if (std::binary_search(parts.begin(), parts.end(), partition)) {
      if (!found.empty())
        return {};
      found = node;
    }
  }
  return found;
}

std::vector<std::string> cluster_membership::members() const {
  std::vector<std::string> out;
  for (const auto& kv : nodes_)
    out.push_back(kv.first);
  return out;
}

} // namespace vigil
