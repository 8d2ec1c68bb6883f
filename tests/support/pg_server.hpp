#pragma once

// A throwaway PostgreSQL 15 server for integration tests: initdb and pg_ctl
// (Debian's postgresql package) into a temporary directory, listening on a
// free loopback port with its unix socket in that directory. A real server,
// never a mock. When the tests run as root, the server runs as the
// unprivileged user `nobody` (initdb refuses root) and owns its directory.

#include <string>

#include "support/process.hpp"

namespace vigil::test {

/// One PostgreSQL server, stopped and removed by the destructor.
class pg_server {
public:
  /// The superuser the tests connect as, and its password.
  static constexpr const char* user = "vigil";
  static constexpr const char* password = "vigil-test-secret";

  /// Creates the cluster and starts it; throws std::runtime_error with the
  /// server's output if either fails.
  pg_server();

  ~pg_server();

  pg_server(const pg_server&) = delete;

  pg_server& operator=(const pg_server&) = delete;

  /// `postgresql://vigil:PASSWORD@127.0.0.1:PORT/dbname` (TCP, password).
  std::string url(const std::string& dbname = "vigil") const;

  /// Creates database `dbname` (owned by `user`).
  void create_database(const std::string& dbname);

  /// Runs `sql` with psql in `dbname` over the unix socket; returns its
  /// unaligned, tuples-only output. Throws std::runtime_error on failure.
  std::string psql(const std::string& sql,
                   const std::string& dbname = "vigil") const;

  /// Stops the server (`pg_ctl stop -m fast`).
  void stop();

  /// Starts it again on the same port.
  void start();

  /// The TCP port.
  int port() const noexcept {
    return port_;
  }

  /// True if the bin directory of PostgreSQL 15 exists on this machine.
  static bool available();

private:
  /// Runs `args` as the server's user; throws on a non-zero exit.
  process_result run_as_owner(const std::vector<std::string>& args) const;

  temp_dir dir_;
  std::string data_;
  int port_ = 0;
  bool running_ = false;
};

} // namespace vigil::test
