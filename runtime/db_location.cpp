#include "runtime/db_location.hpp"

#include <cctype>

namespace vigil {

namespace {

bool scheme_char(char c, bool first) {
  auto u = static_cast<unsigned char>(c);
  if (std::isalpha(u) != 0)
    return true;
  return !first && (std::isdigit(u) != 0 || c == '+' || c == '-' || c == '.');
}

} // namespace

std::string db_url_scheme(std::string_view db) {
  // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
  auto sep = db.find("://");
  if (sep == std::string_view::npos || sep == 0)
    return {};
  std::string scheme;
  for (size_t i = 0; i < sep; ++i) {
    if (!scheme_char(db[i], i == 0))
      return {};
    scheme
        += static_cast<char>(std::tolower(static_cast<unsigned char>(db[i])));
  }
  return scheme;
}

std::string redact_db_url(std::string_view db) {
  auto scheme = db_url_scheme(db);
  if (scheme.empty())
    return std::string{db};
  auto authority = scheme.size() + 3;
  auto end = db.find_first_of("/?#", authority);
  if (end == std::string_view::npos)
    end = db.size();
  auto at = db.rfind('@', end);
  if (at == std::string_view::npos || at < authority)
    return std::string{db};
  auto colon = db.find(':', authority);
  if (colon == std::string_view::npos || colon > at)
    return std::string{db};
  return std::string{db.substr(0, colon + 1)} + "***"
         + std::string{db.substr(at)};
}

bool is_postgres_url(std::string_view db) {
  auto scheme = db_url_scheme(db);
  return scheme == "postgresql" || scheme == "postgres";
}

std::string db_setting_error(std::string_view db) {
  auto scheme = db_url_scheme(db);
  if (scheme.empty() || is_postgres_url(db))
    return {};
  return "--db " + redact_db_url(db) + ": the scheme '" + scheme
         + "://' names no store this build of vigil serves; pass a SQLite "
           "file path such as --db ./data/vigil.db, or a PostgreSQL URL such "
           "as --db postgresql://vigil@127.0.0.1:5432/vigil (or set VIGIL_DB, "
           "or `db = ...` in the --config file)";
}

} // namespace vigil
