#define BOOST_TEST_MODULE doctor_cluster
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "actors/doctor/doctor.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace vigil::doctor;

namespace {

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> cmd{"/usr/bin/openssl"};
  cmd.insert(cmd.end(), args.begin(), args.end());
  auto r = test::run_process(cmd, std::chrono::seconds(60));
  BOOST_REQUIRE_MESSAGE(r.status == 0, r.err);
}

/// Two CAs, each with a 30-day node certificate.
struct certs {
  test::temp_dir dir;
  /// Set once the certificates exist (their validity starts then).
  int64_t now = 0;

  certs() {
    for (std::string name : {"a", "b"}) {
      openssl({"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
               dir.file(name + "-ca.key"), "-out", dir.file(name + "-ca.pem"),
               "-days", "365", "-subj", "/CN=" + name + " CA"});
      openssl({"req", "-newkey", "rsa:2048", "-nodes", "-keyout",
               dir.file(name + ".key"), "-out", dir.file(name + ".csr"),
               "-subj", "/CN=" + name + " node"});
      openssl({"x509", "-req", "-in", dir.file(name + ".csr"), "-CA",
               dir.file(name + "-ca.pem"), "-CAkey", dir.file(name + "-ca.key"),
               "-CAcreateserial", "-out", dir.file(name + ".pem"), "-days",
               "30"});
    }
    now = std::chrono::duration_cast<std::chrono::seconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count()
          + 1;
  }

  tls_files files(const std::string& ca, const std::string& node,
                  const std::string& key) const {
    return {dir.file(ca + "-ca.pem"), dir.file(node + ".pem"),
            dir.file(key + ".key")};
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(certificates, certs)

BOOST_AUTO_TEST_CASE(a_certificate_of_the_cluster_ca_with_its_key_is_ok) {
  auto r = check_certificates(files("a", "a", "a"), now);
  BOOST_TEST(r.status == check_result::ok, r.evidence);
  BOOST_TEST(r.evidence.find("29 more days") != std::string::npos, r.evidence);
}

BOOST_AUTO_TEST_CASE(a_certificate_of_another_ca_fails) {
  auto r = check_certificates(files("a", "b", "b"), now);
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(r.evidence.find("is not signed by the CA") != std::string::npos,
             r.evidence);
}

BOOST_AUTO_TEST_CASE(a_key_of_another_certificate_fails) {
  auto r = check_certificates(files("a", "a", "b"), now);
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(r.evidence.find("does not belong") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(expiry_within_14_days_warns_and_past_it_fails) {
  auto day = int64_t{86400};
  auto soon = check_certificates(files("a", "a", "a"), now + 20 * day);
  BOOST_TEST(soon.status == check_result::warn, soon.evidence);
  BOOST_TEST(soon.evidence.find("expires in ") != std::string::npos,
             soon.evidence);
  auto late = check_certificates(files("a", "a", "a"), now + 31 * day);
  BOOST_TEST(late.status == check_result::fail);
  BOOST_TEST(late.evidence.find("has expired") != std::string::npos);
  auto early = check_certificates(files("a", "a", "a"), now - 2 * day);
  BOOST_TEST(early.status == check_result::fail);
  BOOST_TEST(early.evidence.find("not valid yet") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_files_fail_and_no_tls_is_ok) {
  auto r = check_certificates(
      {dir.file("none.pem"), dir.file("a.pem"), dir.file("a.key")}, now);
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(r.evidence.find("--tls-ca") != std::string::npos);
  BOOST_TEST(check_certificates({}, now).status == check_result::ok);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(cluster_judgement_follows_the_role_and_the_store) {
  cluster_probe single;
  BOOST_TEST(check_cluster(single).status == check_result::ok);
  cluster_probe ingest;
  ingest.role = "ingest";
  ingest.address = "127.0.0.1:4243";
  ingest.error = "connection refused";
  auto r = check_cluster(ingest);
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(r.evidence.find("127.0.0.1:4243") != std::string::npos);
  ingest.answered = true;
  ingest.nodes = {"a: 0-3"};
  ingest.unowned = {4, 5, 6};
  r = check_cluster(ingest);
  BOOST_TEST(r.status == check_result::warn);
  BOOST_TEST(r.evidence.find("without an owner: 4-6") != std::string::npos,
             r.evidence);
  ingest.running = true;
  ingest.unowned.clear();
  BOOST_TEST(check_cluster(ingest).status == check_result::ok);
}
