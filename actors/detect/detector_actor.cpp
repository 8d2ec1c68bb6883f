#include "actors/detect/detector_actor.hpp"

#include "actors/detect/kind_detector.hpp"

#include "runtime/spawn.hpp"
#include "runtime/stage_log.hpp"
#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace vigil {

detector_actor_state::detector_actor_state(detector_actor* self) : self_(self) {
  // nop
}

caf::behavior detector_actor_state::make_behavior(detector_actor_config cfg) {
  cfg_ = std::move(cfg);
  if (cfg_.kind)
    detector_ = std::make_unique<kind_detector>(cfg_.kind,
                                                cfg_.settings.max_services);
  else if (cfg_.detector == service_detector::name)
    detector_ = std::make_unique<service_detector>(cfg_.settings);
  else
    detector_ = std::make_unique<combined_detector>(cfg_.live);
  // Baselines rebuild after warm-up.
  restored_ = restore_stage(*detector_, cfg_.restore_state, cfg_.log, [] {
    return std::string{"detector: malformed checkpoint state, starting with "
                       "empty baselines"};
  });
  if (restored_ && cfg_.stored_windows && detector_->services() > 0) {
    std::string error;
    auto rows = cfg_.stored_windows(detector_->services(), error);
    for (const auto& row : rows)
      detector_->replay(row);
    if (!rows.empty())
      log_line(cfg_.log, "detector: " + std::to_string(rows.size())
                             + " stored windows read to rebuild the history of "
                             + std::to_string(detector_->services())
                             + " services");
    if (!error.empty())
      log_line(cfg_.log, "detector: cannot replay stored windows (" + error
                             + "); its history starts empty");
  }
  return {
      [this](result_batch& batch) { on_batch(batch); },
      [this](atom::flush flush) {
        return self_->delegate(cfg_.downstream, flush);
      },
  };
}

void detector_actor_state::on_batch(result_batch& batch) {
  auto now_ms = now();
  for (const auto& row : batch.rows) {
    auto found = detector_->observe(row, now_ms);
    anomalies_ += found.size();
    batch.anomalies.insert(batch.anomalies.end(),
                           std::make_move_iterator(found.begin()),
                           std::make_move_iterator(found.end()));
  }
  if (batch.checkpoint > 0)
    batch.detector_state = detector_->snapshot();
  self_->send(cfg_.downstream, std::move(batch));
}

int64_t detector_actor_state::now() const {
  if (cfg_.now_ms)
    return cfg_.now_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

caf::actor spawn_detector_actor(caf::actor_system& sys,
                                detector_actor_config cfg) {
  return spawn_stateful<detector_actor_state>(sys, std::move(cfg));
}

} // namespace vigil
