#define BOOST_TEST_MODULE db_location
#include <boost/test/unit_test.hpp>

#include <string>

#include "actors/node/node.hpp"
#include "runtime/db_location.hpp"

using namespace vigil;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(url_schemes_are_recognised) {
  BOOST_CHECK_EQUAL(db_url_scheme("postgresql://u@h:5432/db"), "postgresql");
  BOOST_CHECK_EQUAL(db_url_scheme("PostgreS://h/db"), "postgres");
  BOOST_CHECK_EQUAL(db_url_scheme("mysql+pymysql://h/db"), "mysql+pymysql");
  BOOST_CHECK_EQUAL(db_url_scheme("file:///var/lib/vigil.db"), "file");
  // File paths, including odd but legal ones, have no scheme.
  BOOST_CHECK_EQUAL(db_url_scheme("./data/vigil.db"), "");
  BOOST_CHECK_EQUAL(db_url_scheme("/var/lib/vigil/vigil.db"), "");
  BOOST_CHECK_EQUAL(db_url_scheme("vigil.db"), "");
  BOOST_CHECK_EQUAL(db_url_scheme(":memory:"), "");
  BOOST_CHECK_EQUAL(db_url_scheme("://x"), "");
  BOOST_CHECK_EQUAL(db_url_scheme("./a://b"), "");
  BOOST_CHECK_EQUAL(db_url_scheme("1pg://h"), "");
  BOOST_CHECK_EQUAL(db_url_scheme("data/postgresql:/x"), "");
}

BOOST_AUTO_TEST_CASE(passwords_never_appear_in_messages) {
  BOOST_CHECK_EQUAL(redact_db_url("postgresql://u:secret@h:5432/db"),
                    "postgresql://u:***@h:5432/db");
  BOOST_CHECK_EQUAL(redact_db_url("postgresql://u@h:5432/db"),
                    "postgresql://u@h:5432/db");
  BOOST_CHECK_EQUAL(redact_db_url("postgresql://h:5432/db?x=a@b"),
                    "postgresql://h:5432/db?x=a@b");
  BOOST_CHECK_EQUAL(redact_db_url("./a:b@c"), "./a:b@c");
  auto err = db_setting_error("mysql://vigil:hunter2@db:3306/vigil");
  BOOST_CHECK(!contains(err, "hunter2"));
  BOOST_CHECK(contains(err, "mysql://vigil:***@db:3306/vigil"));
}

BOOST_AUTO_TEST_CASE(
    postgresql_urls_and_paths_are_accepted_other_urls_refused) {
  BOOST_CHECK(db_setting_error("postgresql://user@host:5432/db").empty());
  BOOST_CHECK(db_setting_error("postgres://user:pw@host/db").empty());
  BOOST_CHECK(is_postgres_url("POSTGRESQL://h/db"));
  BOOST_CHECK(!is_postgres_url("./postgresql/vigil.db"));
  auto other = db_setting_error("mysql://h/db");
  BOOST_CHECK(contains(other, "'mysql://'"));
  BOOST_CHECK(contains(other, "--db ./data/vigil.db"));
  BOOST_CHECK(contains(other, "postgresql://"));
  BOOST_CHECK(db_setting_error("./data/vigil.db").empty());
  BOOST_CHECK(db_setting_error("/var/lib/vigil/vigil.db").empty());
  BOOST_CHECK(db_setting_error(":memory:").empty());
}

BOOST_AUTO_TEST_CASE(node_validation_refuses_an_unknown_scheme_only) {
  // `vigil run` and `vigil demo` validate through `validate`.
  node_config cfg;
  cfg.brokers = "127.0.0.1:9092";
  cfg.db = "mysql://user@host:3306/db";
  BOOST_CHECK(contains(validate(cfg), "'mysql://'"));
  cfg.db = "postgresql://user@host:5432/db";
  BOOST_CHECK(validate(cfg).empty());
  cfg.db = "./data/vigil.db";
  BOOST_CHECK(validate(cfg).empty());
}
