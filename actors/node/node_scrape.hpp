#pragma once

// What a node refreshes when Prometheus scrapes GET /metrics: the gauges
// whose values are not updated by the pipeline itself, i.e. readiness
// (vigil_failing_readiness_checks, the checks of GET /ready) and the
// per-service view of the stored results (vigil_service_*, the latest window
// of each service and its open incidents, as /api/services and
// /api/incidents show them).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/node/metrics.hpp"
#include "runtime/sqlite.hpp"

namespace vigil {

class http_server;
struct node_http_context;

/// One sample per service of `db`: its latest stored window and the number
/// of its open incidents, ordered by service, over short-lived read-only
/// connections.
db_result<std::vector<service_sample>>
read_service_samples(const std::string& db);

/// Sets the scrape hook of `server`: at most once per `min_interval`, runs
/// the readiness checks into vigil_failing_readiness_checks and the
/// database's service samples into the vigil_service_* gauges of
/// `ctx->metrics` (a database that cannot be read leaves those as they
/// were).
void install_scrape_refresh(http_server& server,
                            std::shared_ptr<node_http_context> ctx,
                            std::chrono::milliseconds min_interval
                            = std::chrono::seconds(1));

} // namespace vigil
