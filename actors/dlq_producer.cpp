#include "actors/dlq_producer.hpp"

#include <chrono>
#include <cstdio>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "runtime/error.hpp"
#include "runtime/kafka.hpp"
#include "runtime/messages.hpp"

namespace vigil {

namespace {

struct dlq_state {
  static inline const char* name = "dlq_producer";

  std::optional<kafka::producer> out;
  std::string topic;
  uint64_t produced = 0;
  std::string last_error;
};

using dlq_actor = caf::stateful_actor<dlq_state>;

caf::behavior dlq_producer(dlq_actor* self, std::string brokers,
                           std::string topic) {
  auto p = kafka::producer::make(brokers, {{"linger.ms", "20"}});
  if (!p) {
    self->quit(caf::make_error(ec::broker_unreachable, p.error()));
    return {};
  }
  self->state.out.emplace(std::move(p.value()));
  self->state.topic = std::move(topic);
  return {
      [self](const dead_letter_batch& batch) {
        auto& st = self->state;
        for (const auto& letter : batch.letters) {
          kafka::header_list headers{
              {"vigil.reason", letter.reason},
              {"vigil.source.partition", std::to_string(letter.partition)},
              {"vigil.source.offset", std::to_string(letter.offset)}};
          auto status = st.out->produce(st.topic, RD_KAFKA_PARTITION_UA, {},
                                        letter.payload, headers);
          if (!status) {
            // Failing here restarts the producer: the checkpoint that covers
            // these records is not durable yet, so they are replayed.
            self->quit(caf::make_error(ec::broker_unreachable, status.error()));
            return;
          }
          ++st.produced;
        }
        st.out->poll();
      },
      [self](atom::flush) -> caf::result<uint64_t> {
        auto& st = self->state;
        auto status = st.out->flush(std::chrono::seconds(30));
        if (!status)
          return caf::make_error(ec::broker_unreachable, status.error());
        if (st.out->failed() > 0)
          return caf::make_error(ec::broker_unreachable,
                                 "dead letters failed: "
                                     + st.out->last_error());
        return st.produced;
      },
  };
}

} // namespace

caf::actor spawn_dlq_producer(caf::actor_system& sys, std::string brokers,
                              std::string topic) {
  return sys.spawn(dlq_producer, std::move(brokers), std::move(topic));
}

} // namespace vigil
