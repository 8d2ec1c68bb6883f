#include "actors/sink/result_store.hpp"

#include "actors/messages.hpp"
#include "actors/sink/pg_store.hpp"
#include "actors/sink/store.hpp"
#include "runtime/db_location.hpp"

namespace vigil {

db_error newer_schema_error(int64_t found, int64_t latest) {
  return db_error{0, false,
                  "the database has schema version " + std::to_string(found)
                      + ", " + std::string{newer_schema_text} + " (up to "
                      + std::to_string(latest)
                      + "): run a vigil at least as new as the one that "
                        "wrote it, or pass another --db"};
}

db_result<std::unique_ptr<result_store>>
open_result_store(const std::string& db, int busy_timeout_ms,
                  size_t keep_checkpoints) {
  if (is_postgres_url(db)) {
    auto store = pg_store::open(db, keep_checkpoints);
    if (!store)
      return store.error();
    return std::unique_ptr<result_store>{
        std::make_unique<pg_store>(std::move(*store))};
  }
  auto store = metrics_store::open(db, busy_timeout_ms, keep_checkpoints);
  if (!store)
    return store.error();
  return std::unique_ptr<result_store>{
      std::make_unique<metrics_store>(std::move(*store))};
}

} // namespace vigil
