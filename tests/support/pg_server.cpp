#include "support/pg_server.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace vigil::test {

namespace {

using namespace std::chrono_literals;

/// The PostgreSQL 15 programs (VIGIL_PG_BIN overrides).
std::string pg_bin(const std::string& program) {
  const char* dir = std::getenv("VIGIL_PG_BIN");
  return std::string{dir != nullptr ? dir : "/usr/lib/postgresql/15/bin"} + "/"
         + program;
}

bool is_root() {
  return ::geteuid() == 0;
}

} // namespace

bool pg_server::available() {
  return std::filesystem::exists(pg_bin("initdb"));
}

process_result
pg_server::run_as_owner(const std::vector<std::string>& args) const {
  std::vector<std::string> cmd;
  if (is_root())
    cmd = {"/usr/sbin/runuser", "-u", "nobody", "--"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  auto r = run_process(cmd, 120s);
  if (r.status != 0) {
    std::string line;
    for (const auto& a : args)
      line += a + " ";
    throw std::runtime_error("pg_server: `" + line + "` exited "
                             + std::to_string(r.status) + ": " + r.out + r.err
                             + read_file(dir_.file("server.log")));
  }
  return r;
}

pg_server::pg_server() {
  data_ = dir_.file("data");
  auto pwfile = dir_.file("pw");
  {
    std::ofstream out{pwfile};
    out << password << "\n";
  }
  if (is_root()) {
    // The server's user owns the directory (and nothing else of the tests).
    auto r
        = run_process({"/bin/chown", "-R", "nobody:nogroup", dir_.path()}, 30s);
    if (r.status != 0)
      throw std::runtime_error("pg_server: chown failed: " + r.err);
  }
  run_as_owner({pg_bin("initdb"), "-D", data_, "-U", user, "-E", "UTF8",
                "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
                "--pwfile=" + pwfile, "--no-sync", "--no-instructions"});
  port_ = free_loopback_port();
  start();
  create_database("vigil");
}

pg_server::~pg_server() {
  if (running_) {
    std::vector<std::string> cmd;
    if (is_root())
      cmd = {"/usr/sbin/runuser", "-u", "nobody", "--"};
    for (auto a :
         {pg_bin("pg_ctl"), std::string{"-D"}, data_, std::string{"-m"},
          std::string{"immediate"}, std::string{"-w"}, std::string{"stop"}})
      cmd.push_back(a);
    run_process(cmd, 60s);
  }
}

void pg_server::start() {
  run_as_owner({pg_bin("pg_ctl"), "-D", data_, "-l", dir_.file("server.log"),
                "-w", "-t", "60", "-o",
                "-p " + std::to_string(port_) + " -k " + dir_.path()
                    + " -c listen_addresses=127.0.0.1 -c fsync=off"
                      " -c max_connections=100",
                "start"});
  running_ = true;
}

void pg_server::stop() {
  run_as_owner({pg_bin("pg_ctl"), "-D", data_, "-m", "fast", "-w", "stop"});
  running_ = false;
}

std::string pg_server::url(const std::string& dbname) const {
  return std::string{"postgresql://"} + user + ":" + password
         + "@127.0.0.1:" + std::to_string(port_) + "/" + dbname;
}

void pg_server::create_database(const std::string& dbname) {
  psql("CREATE DATABASE \"" + dbname + "\"", "postgres");
}

std::string pg_server::psql(const std::string& sql,
                            const std::string& dbname) const {
  auto r = run_process({"/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-h", dir_.path(), "-p", std::to_string(port_), "-U",
                        user, "-d", dbname, "-At", "-c", sql},
                       120s);
  if (r.status != 0)
    throw std::runtime_error("psql failed (" + std::to_string(r.status)
                             + "): " + r.err + " for: " + sql);
  return r.out;
}

} // namespace vigil::test
