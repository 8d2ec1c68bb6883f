// `vigil doctor`'s look at a node already running with the same settings:
// its stalled partitions, from `/api/status`.

#include <chrono>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "actors/doctor/doctor.hpp"

namespace vigil::doctor {

node_probe probe_running_node(const std::string& host, uint64_t port) {
  node_probe probe;
  probe.address = host + ":" + std::to_string(port);
  httplib::Client client{host, static_cast<int>(port)};
  client.set_connection_timeout(std::chrono::seconds(1));
  client.set_read_timeout(std::chrono::seconds(3));
  auto res = client.Get("/api/status");
  if (!res) {
    probe.error = "nothing answers HTTP there";
    return probe;
  }
  if (res->status != 200) {
    probe.error = "GET /api/status answered " + std::to_string(res->status);
    return probe;
  }
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (!body.is_object() || !body.contains("assigned_partitions")) {
    probe.error = "the answer of GET /api/status is not a vigil node's";
    return probe;
  }
  probe.answered = true;
  probe.assigned = body.value("assigned_partitions", int64_t{0});
  if (auto it = body.find("partitions"); it != body.end() && it->is_array())
    for (const auto& row : *it)
      if (row.is_object() && row.value("state", "") == "stalled")
        probe.stalled.push_back({row.value("partition", 0),
                                 row.value("lag", int64_t{0}),
                                 row.value("waiting_ms", int64_t{0})});
  return probe;
}

check_result check_running_node(const node_probe& probe) {
  const std::string name = "running_node";
  if (!probe.answered)
    return {name, check_result::ok,
            "no vigil node serves " + probe.address + " (" + probe.error
                + "); nothing running to inspect",
            ""};
  if (probe.stalled.empty())
    return {name, check_result::ok,
            "the node at " + probe.address + " holds "
                + std::to_string(probe.assigned) + " partitions, none stalled",
            ""};
  std::string evidence = "the node at " + probe.address + " has "
                         + std::to_string(probe.stalled.size())
                         + " stalled partitions:";
  for (const auto& s : probe.stalled)
    evidence += " partition " + std::to_string(s.partition) + " (lag "
                + std::to_string(s.lag) + ", no progress for "
                + std::to_string(s.waiting_ms / 1000) + " s)";
  return {name, check_result::fail, evidence,
          "a stalled partition has records waiting and reads none: "
          "`vigil console partitions` shows its state (consumer paused or "
          "fetching, batches unacknowledged, epoch) and the node's log has "
          "the line 'partition N of TOPIC stalled'; keep both for a bug "
          "report, then stop the node with SIGTERM (it checkpoints) and "
          "start it again: it resumes from the checkpoint. See "
          "docs/operations.md, \"Stalled partitions\""};
}

} // namespace vigil::doctor
