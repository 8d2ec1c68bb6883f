#include "runtime/network_shutdown.hpp"

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

namespace vigil {

void stop_network(caf::actor_system& sys) {
  if (!sys.has_middleman())
    return;
  auto basp
      = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  sys.clock().cancel_all();
  if (basp) {
    caf::scoped_actor self{sys};
    self->send_exit(basp, caf::exit_reason::user_shutdown);
    self->wait_for(basp);
  }
  sys.clock().cancel_all();
}

} // namespace vigil
