#pragma once

// What `--db` may name: a SQLite database file (a path), or a PostgreSQL
// server (`postgresql://user[:pass]@host[:port]/dbname`, also `postgres://`).
// A value with any other scheme (`mysql://...`) is refused and never taken
// for a relative file path (that would create directories such as
// `mysql:/user@host:3306/` and a fresh SQLite file in the working
// directory).

#include <string>
#include <string_view>

namespace vigil {

/// The URL scheme of `db` (`postgresql` for `postgresql://u@h/db`), lower
/// case, or empty when `db` is not of the form `scheme://...`.
std::string db_url_scheme(std::string_view db);

/// `db` with the password of a URL's user information replaced by `***`
/// (`postgresql://u:secret@h/db` becomes `postgresql://u:***@h/db`); other
/// values unchanged. Error messages and logs show only this form.
std::string redact_db_url(std::string_view db);

/// True if `db` is a PostgreSQL URL (`postgresql://` or `postgres://`).
bool is_postgres_url(std::string_view db);

/// Empty if `db` is a setting this build can serve (a file path or a PostgreSQL
/// URL; emptiness
/// is checked by the commands themselves), else one sentence naming the
/// value (password redacted), why it is refused and how to fix it. The one
/// check of `--db` (VIGIL_DB, `db =`) used by `vigil run`, `vigil demo` and
/// `vigil doctor`.
std::string db_setting_error(std::string_view db);

} // namespace vigil
