#include "actors/detect/narrator_actor.hpp"

#include "runtime/stage_log.hpp"

#include <iterator>
#include <optional>

#include "runtime/log.hpp"
#include "runtime/spawn.hpp"
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace vigil {

narrator_actor_state::narrator_actor_state(narrator_actor* self) : self_(self) {
  // nop
}

caf::behavior narrator_actor_state::make_behavior(narrator_actor_config cfg) {
  cfg_ = std::move(cfg);
  narrator_ = incident_narrator{cfg_.settings};
  // Open incidents of the lost state stay open in the database; new ids
  // start at `first_id`, which the node sets past the stored ones.
  restored_ = restore_stage(narrator_, cfg_.restore_state, cfg_.log, [this] {
    return "narrator: malformed checkpoint state, starting without open "
           "incidents at id "
           + std::to_string(narrator_.next_id());
  });
  return {
      [this](result_batch& batch) { on_batch(batch); },
      [this](atom::flush flush) {
        return self_->delegate(cfg_.db_writer, flush);
      },
  };
}

void narrator_actor_state::on_batch(result_batch& batch) {
  auto found = narrator_.observe(batch.rows, batch.anomalies);
  if (cfg_.llm)
    for (const auto& row : found)
      maybe_narrate(row);
  batch.incidents.insert(batch.incidents.end(),
                         std::make_move_iterator(found.begin()),
                         std::make_move_iterator(found.end()));
  if (batch.checkpoint > 0)
    batch.narrator_state = narrator_.snapshot();
  self_->send(cfg_.db_writer, std::move(batch));
}

void narrator_actor_state::maybe_narrate(const incident_row& row) {
  bool closed = row.ended_at != 0;
  if (!closed && asked_.count(row.id) > 0)
    return;
  if (closed)
    asked_.erase(row.id);
  else
    asked_.insert(row.id);
  if (llm_in_flight_ >= cfg_.llm_max_in_flight) {
    ++llm_skipped_;
    return;
  }
  ++llm_in_flight_;
  self_->request(cfg_.llm, cfg_.llm_timeout + std::chrono::seconds(2), row)
      .then(
          [this](llm_reply& reply) {
            --llm_in_flight_;
            if (!reply.ok)
              return;
            auto updated
                = narrator_.narrate(reply.id, std::move(reply.summary));
            if (!updated)
              return;
            result_batch update;
            update.incidents.push_back(std::move(*updated));
            self_->send(cfg_.db_writer, std::move(update));
          },
          [this](caf::error&) { --llm_in_flight_; });
}

namespace {

struct llm_narrator_state {
  static inline const char* name = "llm_narrator";

  explicit llm_narrator_state(caf::stateful_actor<llm_narrator_state>* self)
      : self(self) {
    // nop
  }

  caf::behavior make_behavior(llm_config settings) {
    client.emplace(std::move(settings));
    return {
        [this](const incident_row& row) {
          llm_reply reply;
          reply.id = row.id;
          reply.ok = client->summarize(row, reply.summary, reply.why);
          report(reply);
          return reply;
        },
    };
  }

  void report(const llm_reply& reply) {
    if (reply.ok) {
      if (!last_why.empty())
        logf(log_level::info, "narrator",
             "the language model at %s answers again; incidents get its "
             "summaries",
             client->settings().url.c_str());
      last_why.clear();
      return;
    }
    if (reply.why != last_why)
      logf(log_level::warning, "narrator",
           "no summary from the language model for incident %lld: %s; the "
           "template summary stays",
           static_cast<long long>(reply.id), reply.why.c_str());
    last_why = reply.why;
  }

  caf::stateful_actor<llm_narrator_state>* self;
  std::optional<llm_client> client;
  std::string last_why;
};

} // namespace

caf::actor spawn_llm_narrator_actor(caf::actor_system& sys,
                                    llm_config settings) {
  return spawn_stateful<llm_narrator_state, caf::detached>(sys,
                                                           std::move(settings));
}

caf::actor spawn_narrator_actor(caf::actor_system& sys,
                                narrator_actor_config cfg) {
  return spawn_stateful<narrator_actor_state>(sys, std::move(cfg));
}

} // namespace vigil
