// Checks of `vigil doctor` that probe this host: the database path, the
// SQLite file and its locks, listening ports, and /proc to name the processes
// in the way.

#include "actors/doctor/doctor.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/db_location.hpp"
#include "runtime/sqlite.hpp"

namespace fs = std::filesystem;

namespace vigil::doctor {

namespace {

check_result make(std::string name, check_result::level status,
                  std::string evidence, std::string fix = {}) {
  return check_result{std::move(name), status, std::move(evidence),
                      std::move(fix)};
}

std::string errno_text(int err) {
  return std::strerror(err);
}

std::string join_holders(const std::vector<holder>& hs) {
  std::string out;
  for (const auto& h : hs)
    out += (out.empty() ? "" : "; ") + std::string{"pid "}
           + std::to_string(h.pid) + " (" + h.cmdline + ") holds " + h.what;
  return out;
}

/// True if the holder's program is a vigil binary.
bool is_vigil(const holder& h) {
  return fs::path{h.cmdline.substr(0, h.cmdline.find(' '))}.filename()
         == "vigil";
}

bool is_under(const fs::path& path, const fs::path& dir) {
  auto p = path.lexically_normal();
  auto d = dir.lexically_normal();
  auto [dit, pit] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  return dit == d.end() || (dit->empty() && std::next(dit) == d.end());
}

} // namespace

// -- config_paths -------------------------------------------------------------

check_result check_config_paths(const std::string& db_path,
                                const std::string& cwd) {
  const std::string name = "config_paths";
  if (db_path.empty())
    return make(name, check_result::fail, "the database path (--db) is empty",
                "set --db ./data/vigil.db (or VIGIL_DB)");
  if (is_postgres_url(db_path))
    return make(name, check_result::ok,
                "--db " + redact_db_url(db_path)
                    + " names a PostgreSQL server: no local path to check");
  if (db_path == ":memory:")
    return make(name, check_result::warn,
                "--db :memory: keeps results in memory only",
                "give a file such as --db ./data/vigil.db");
  fs::path path{db_path};
  auto abs = path.is_absolute() ? path : fs::path{cwd} / path;
  abs = abs.lexically_normal();
  auto dir = abs.parent_path();
  // The nearest ancestor that exists decides whether dir can be created.
  auto base = dir;
  std::error_code ec;
  while (!base.empty() && !fs::exists(base, ec) && base != base.root_path())
    base = base.parent_path();
  std::string problem;
  if (fs::is_directory(abs, ec)) {
    problem = abs.string() + " is a directory, not a database file";
  } else if (!fs::is_directory(base, ec)) {
    problem = base.string() + " is not a directory, so " + dir.string()
              + " cannot be created";
  } else if (::access(base.c_str(), W_OK | X_OK) != 0) {
    problem = (base == dir ? "directory " + dir.string() + " is not writable"
                           : "cannot create " + dir.string() + ": "
                                 + base.string() + " is not writable")
              + " (" + errno_text(errno) + ")";
  } else if (base == dir && fs::exists(abs, ec)
             && ::access(abs.c_str(), R_OK | W_OK) != 0) {
    problem = "database file " + abs.string() + " is not writable ("
              + errno_text(errno) + ")";
  }
  if (problem.empty()) {
    auto evidence = "database " + db_path + ": directory " + dir.string()
                    + (base == dir ? " exists and is writable"
                                   : " does not exist yet; vigil run creates "
                                     "it ("
                                         + base.string() + " is writable)");
    return make(name, check_result::ok, evidence);
  }
  std::string fix;
  if (path.is_absolute() && !is_under(abs, fs::path{cwd}))
    fix = "--db " + db_path
          + " is an absolute path outside the working "
            "directory "
          + cwd
          + " (a container path such as /data is "
            "read-only or missing on a developer machine): run with --db "
            "./data/vigil.db, or set VIGIL_DB=./data/vigil.db or `db = "
            "./data/vigil.db` in the --config file; in a container mount a "
            "writable volume there instead";
  else
    fix = "make " + dir.string() + " writable for this user (uid "
          + std::to_string(::getuid())
          + "), or choose another path with "
            "--db or VIGIL_DB";
  return make(name, check_result::fail, problem, fix);
}

// -- database -----------------------------------------------------------------

namespace {

/// Runs `sql` and returns its rows, each column as text; on failure sets
/// `error` and returns false.
bool query(sqlite_db& db, std::string_view sql,
           std::vector<std::vector<std::string>>& rows, db_error& error) {
  auto stmt = db.prepare(sql);
  if (!stmt) {
    error = stmt.error();
    return false;
  }
  auto& st = stmt.value();
  step_result rc;
  while ((rc = st.step()) == step_result::row) {
    std::vector<std::string> row;
    for (int i = 0; i < st.column_count(); ++i)
      row.push_back(st.column_text(i));
    rows.push_back(std::move(row));
  }
  if (rc == step_result::error) {
    error = st.error();
    return false;
  }
  return true;
}

} // namespace

check_result check_database(const std::string& db_path,
                            const std::string& proc_root, int busy_timeout_ms) {
  const std::string name = "database";
  if (is_postgres_url(db_path))
    return check_pg_database(db_path);
  std::error_code ec;
  if (!fs::exists(db_path, ec))
    return make(name, check_result::ok,
                db_path
                    + " does not exist yet: vigil run creates it with "
                      "the schema");
  std::string evidence = db_path;
  std::string warning; // fix text of a WARN, if any
  bool busy = false;
  std::string busy_error;
  {
    auto ro = sqlite_db::open(db_path, open_mode::read_only, busy_timeout_ms);
    if (!ro)
      return make(name, check_result::fail,
                  "cannot open " + db_path + " read-only (" + ro.error().message
                      + ")",
                  "check the file's permissions (ls -l " + db_path + ")");
    std::vector<std::vector<std::string>> rows;
    db_error error;
    if (!query(ro.value(), "SELECT name FROM sqlite_master WHERE type='table'",
               rows, error)) {
      if (!error.retryable)
        return make(name, check_result::fail,
                    "cannot read the schema of " + db_path + ": "
                        + error.message,
                    "is it a SQLite database? (`file " + db_path
                        + "`); point --db at vigil's database, or move this "
                          "file away and let vigil run create a new one");
      // Rollback-journal mode with an exclusive writer: even reads block.
      busy = true;
      busy_error = error.message;
    } else {
      std::string missing;
      for (const char* table : {"service_metrics", "anomalies", "incidents",
                                "checkpoints", "checkpoint_offsets"})
        if (std::none_of(rows.begin(), rows.end(),
                         [&](const auto& r) { return r[0] == table; }))
          missing += (missing.empty() ? "" : ", ") + std::string{table};
      rows.clear();
      query(ro.value(), "PRAGMA journal_mode", rows, error);
      auto mode = rows.empty() ? std::string{"?"} : rows[0][0];
      if (!missing.empty()) {
        evidence += ": tables missing: " + missing;
        warning = "vigil run creates missing tables on start; if this is "
                  "not vigil's database, point --db (VIGIL_DB) at the right "
                  "file";
      } else {
        evidence += ": schema present";
        rows.clear();
        if (query(ro.value(), "SELECT count(*) FROM service_metrics", rows,
                  error)
            && !rows.empty())
          evidence += ", " + rows[0][0] + " rows in service_metrics";
      }
      evidence += ", journal_mode=" + mode;
      if (mode != "wal" && warning.empty())
        warning = "vigil run switches the database to WAL on start; in "
                  "rollback-journal mode every reader blocks the writer";
    }
  }
  if (!busy) {
    // Take the write lock briefly, as the db_writer would (opened without
    // create: the doctor never makes or converts a database).
    auto st = probe_write_lock(db_path, busy_timeout_ms);
    if (st) {
      evidence += ", writable (BEGIN IMMEDIATE succeeded)";
      return warning.empty()
                 ? make(name, check_result::ok, evidence)
                 : make(name, check_result::warn, evidence, warning);
    }
    if (!st.error().retryable)
      return make(name, check_result::fail,
                  evidence + "; not writable: " + st.error().message,
                  "make " + db_path + " and its directory writable for uid "
                      + std::to_string(::getuid()));
    busy_error = st.error().message;
  }
  // Our own connections are closed: every lock left belongs to others.
  auto holders = find_lock_holders(db_path, proc_root);
  evidence += "; locked: SQLite answered \"" + busy_error + "\" after "
              + std::to_string(busy_timeout_ms) + " ms";
  if (holders.empty())
    return make(name, check_result::fail,
                evidence + "; no holder is visible from this process",
                "the lock is held by a process of another user or "
                "container: find it with `lsof "
                    + db_path
                    + "*` as root; vigil's db_writer must be the "
                      "only writer, readers open read-only");
  std::string fix = "vigil's db_writer must be the only writer of " + db_path
                    + "; stop the holder (`kill "
                    + std::to_string(holders.front().pid)
                    + "`) or make it open the database read-only (`sqlite3 "
                      "-readonly`, short-lived connections); do not delete "
                      "the -wal/-shm files";
  if (is_vigil(holders.front()))
    fix += "; if it is another vigil node, give each node its own --db";
  return make(name, check_result::fail, evidence + "; " + join_holders(holders),
              fix);
}

std::vector<checkpoint_position> read_checkpoints(const std::string& path,
                                                  const std::string& topic,
                                                  bool& readable) {
  if (is_postgres_url(path))
    return read_pg_checkpoints(path, topic, readable);
  readable = true;
  std::vector<checkpoint_position> out;
  std::error_code ec;
  if (!fs::exists(path, ec))
    return out;
  auto ro = sqlite_db::open(path, open_mode::read_only, 1000);
  if (!ro) {
    readable = false;
    return out;
  }
  auto stmt = ro.value().prepare("SELECT partition, next_offset FROM "
                                 "checkpoint_offsets WHERE topic = ? ORDER BY "
                                 "partition");
  if (!stmt) {
    // A database without the table has no checkpoint; anything else is an
    // error.
    readable = stmt.error().message.find("no such table") != std::string::npos;
    return out;
  }
  auto& st = stmt.value();
  st.bind(1, std::string_view{topic});
  step_result rc;
  while ((rc = st.step()) == step_result::row)
    out.push_back(
        {static_cast<int32_t>(st.column_int64(0)), st.column_int64(1)});
  if (rc == step_result::error)
    readable = false;
  return out;
}

// -- ports --------------------------------------------------------------------

check_result check_ports(const std::vector<port_spec>& ports,
                         const std::string& proc_root) {
  const std::string name = "ports";
  std::string evidence;
  std::string fix;
  bool failed = false;
  for (const auto& spec : ports) {
    auto label = spec.role + " 127.0.0.1:" + std::to_string(spec.port);
    if (!evidence.empty())
      evidence += "; ";
    if (spec.port == 0) {
      evidence += spec.role + " port not checked (0)";
      continue;
    }
    if (spec.port > 65535) {
      failed = true;
      evidence += label + " is not a TCP port";
      fix += (fix.empty() ? "" : "; ") + spec.flag + " takes 1..65535";
      continue;
    }
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(spec.port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    int err = errno;
    ::close(fd);
    if (rc == 0) {
      evidence += label + " free";
      continue;
    }
    if (err != EADDRINUSE) {
      failed = true;
      evidence += label + ": cannot bind (" + errno_text(err) + ")";
      fix += (fix.empty() ? "" : "; ") + std::string{"choose another port "}
             + "with " + spec.flag + " (ports below 1024 need privileges)";
      continue;
    }
    auto holders
        = find_port_holders(static_cast<uint16_t>(spec.port), proc_root);
    bool by_vigil = !holders.empty()
                    && std::all_of(holders.begin(), holders.end(), is_vigil);
    evidence += label + " in use";
    if (holders.empty())
      evidence += " by a process not visible here (another user, container "
                  "or network namespace)";
    else
      evidence += " by " + join_holders(holders);
    if (by_vigil) {
      evidence += " (a vigil node is serving it)";
      continue;
    }
    failed = true;
    fix += (fix.empty() ? "" : "; ") + std::string{"free port "}
           + std::to_string(spec.port)
           + (holders.empty()
                  ? std::string{" (find the holder: `ss -ltnp "
                                "sport = :"}
                        + std::to_string(spec.port) + "`)"
                  : " (`kill " + std::to_string(holders.front().pid) + "`)")
           + " or move vigil with " + spec.flag + " N; update the "
           + "Prometheus scrape target to match";
  }
  return make(name, failed ? check_result::fail : check_result::ok, evidence,
              failed ? fix : std::string{});
}

} // namespace vigil::doctor
