// The database checks of `vigil doctor` when --db names a PostgreSQL server:
// connection, schema version, privileges and lock waits.

#include "actors/doctor/doctor.hpp"

#include "actors/sink/pg_store.hpp"
#include "runtime/db_location.hpp"
#include "runtime/pg.hpp"

namespace vigil::doctor {

namespace {

check_result make(std::string name, check_result::level status,
                  std::string evidence, std::string fix = {}) {
  return check_result{std::move(name), status, std::move(evidence),
                      std::move(fix)};
}

} // namespace

check_result check_pg_database(const std::string& url, int connect_timeout_s) {
  const std::string name = "database";
  auto shown = redact_db_url(url);
  auto conn = pg_connection::connect(url, connect_timeout_s);
  if (!conn)
    return make(name, check_result::fail, conn.error().message,
                "fix --db " + shown
                    + " (postgresql://USER:PASSWORD@HOST:PORT/DBNAME) or "
                      "start PostgreSQL there");
  auto evidence = "PostgreSQL " + conn->describe();
  // Schema version, as the writer reads it.
  auto tables = conn->query("SELECT to_regclass('schema_version') IS NOT "
                            "NULL, to_regclass('service_metrics') IS NOT NULL");
  if (!tables)
    return make(
        name, check_result::fail, evidence + ": " + tables.error().message,
        "check that the user in --db " + shown + " may read the database");
  int64_t version = 0;
  if (tables->text(0, 0) == "t") {
    auto v = conn->query("SELECT coalesce(max(version), 0) FROM "
                         "schema_version");
    if (!v)
      return make(name, check_result::fail,
                  evidence
                      + ": cannot read schema_version: " + v.error().message,
                  "GRANT SELECT ON ALL TABLES IN SCHEMA public to the user "
                  "in --db "
                      + shown);
    version = v->int64(0, 0);
  } else if (tables->text(0, 1) == "t") {
    version = 1;
  }
  auto latest = pg_store::latest_version();
  if (version > latest)
    return make(name, check_result::fail,
                evidence + ": schema version " + std::to_string(version)
                    + ", newer than this vigil knows (up to "
                    + std::to_string(latest) + ")",
                "run a vigil at least as new as the one that wrote it, or "
                "pass another --db");
  evidence += ", schema version " + std::to_string(version) + " of "
              + std::to_string(latest);
  // Privileges: create tables (migrations) and write vigil's tables.
  auto priv = conn->query(
      "SELECT has_schema_privilege('public', 'CREATE'), "
      "CASE WHEN to_regclass('service_metrics') IS NULL THEN true ELSE "
      "has_table_privilege('service_metrics', 'INSERT, UPDATE') AND "
      "has_table_privilege('checkpoints', 'INSERT, UPDATE, DELETE') AND "
      "has_table_privilege('checkpoint_offsets', 'INSERT, UPDATE') END");
  if (!priv)
    return make(name, check_result::fail,
                evidence + ": cannot check privileges: " + priv.error().message,
                "check the user in --db " + shown);
  bool can_create = priv->text(0, 0) == "t";
  bool can_write = priv->text(0, 1) == "t";
  if (!can_write || (version < latest && !can_create))
    return make(name, check_result::fail,
                evidence + ": the user may not "
                    + (can_write ? "create tables in schema public"
                                 : "write vigil's tables"),
                "GRANT ALL ON SCHEMA public and ALL ON ALL TABLES IN SCHEMA "
                "public to the user in --db "
                    + shown + ", or connect as the database's owner");
  evidence += ", writable";
  if (version < latest)
    evidence += " (vigil run migrates it on start)";
  // Lock waits: sessions of this database waiting for a lock, and who
  // blocks them.
  auto waits = conn->query(
      "SELECT a.pid, coalesce(a.application_name, ''), "
      "coalesce(left(a.query, 80), ''), "
      "coalesce(array_to_string(pg_blocking_pids(a.pid), ','), '') "
      "FROM pg_stat_activity a WHERE a.datname = current_database() AND "
      "a.wait_event_type = 'Lock' ORDER BY a.pid");
  if (!waits)
    return make(
        name, check_result::warn,
        evidence + "; cannot read pg_stat_activity: " + waits.error().message,
        "grant pg_read_all_stats to the user to see lock waits");
  if (waits->size() == 0)
    return make(name, check_result::ok,
                evidence
                    + ", no session waits for "
                      "a lock");
  std::string detail;
  std::string blockers;
  for (int r = 0; r < waits->size(); ++r) {
    detail += (detail.empty() ? "" : "; ") + std::string{"pid "}
              + waits->text(r, 0) + " (" + waits->text(r, 1) + ": "
              + waits->text(r, 2) + ") waits for pids " + waits->text(r, 3);
    if (blockers.empty())
      blockers = waits->text(r, 3);
  }
  return make(name, check_result::warn,
              evidence + "; " + std::to_string(waits->size())
                  + " sessions wait for a lock: " + detail,
              "find what the blocking session does (SELECT * FROM "
              "pg_stat_activity WHERE pid IN ("
                  + blockers
                  + ")); end its transaction or pg_terminate_backend(pid); "
                    "vigil's db_writer must not share its tables with "
                    "long transactions");
}

std::vector<checkpoint_position> read_pg_checkpoints(const std::string& url,
                                                     const std::string& topic,
                                                     bool& readable) {
  readable = true;
  std::vector<checkpoint_position> out;
  auto conn = pg_connection::connect(url, 2);
  if (!conn) {
    readable = false;
    return out;
  }
  auto present = conn->query("SELECT to_regclass('checkpoint_offsets') IS "
                             "NOT NULL");
  if (!present || present->text(0, 0) != "t") {
    readable = static_cast<bool>(present);
    return out;
  }
  auto rows = conn->query("SELECT partition, next_offset FROM "
                          "checkpoint_offsets WHERE topic = $1 ORDER BY "
                          "partition",
                          {pg_text(topic)});
  if (!rows) {
    readable = false;
    return out;
  }
  for (int r = 0; r < rows->size(); ++r)
    out.push_back({static_cast<int32_t>(rows->int64(r, 0)), rows->int64(r, 1)});
  return out;
}

} // namespace vigil::doctor
