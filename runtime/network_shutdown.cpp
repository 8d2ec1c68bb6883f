#include "runtime/network_shutdown.hpp"

#include <chrono>

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
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

void set_network_heartbeat(caf::actor_system_config& cfg) {
  cfg.set("middleman.heartbeat-interval",
          caf::timespan{std::chrono::seconds(1)});
  cfg.set("middleman.connection-timeout",
          caf::timespan{std::chrono::seconds(5)});
}

} // namespace vigil

// OpenSSL's per-thread error queue, for CAF's TLS sessions.
//
// SSL_get_error reads the calling thread's error queue, which must be empty
// before each TLS I/O call. CAF 0.17.6 empties it only inside log
// statements, and Debian builds CAF with logging compiled out: a handshake
// that fails on the network thread (a peer with a certificate of another
// CA) leaves its errors there, and the next read or write of every other
// TLS connection on that thread is taken for a failure and the connection
// closed. One refused peer could so cut the console's and the cluster's
// legitimate links (the store's console answered `request_timeout` or
// `request_receiver_down` while a refused node kept retrying). vigil
// defines the four I/O calls CAF makes; the dynamic linker binds CAF's
// calls to these, which empty the queue and call OpenSSL's own.
#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace {

template <class Fn>
Fn next_symbol(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

} // namespace

extern "C" {

int SSL_read(SSL* ssl, void* buf, int num) {
  static const auto real = next_symbol<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_write(SSL* ssl, const void* buf, int num) {
  static const auto real
      = next_symbol<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}

int SSL_accept(SSL* ssl) {
  static const auto real = next_symbol<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}

int SSL_connect(SSL* ssl) {
  static const auto real = next_symbol<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}

} // extern "C"
