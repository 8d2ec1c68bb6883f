// `vigil doctor`'s cluster checks: the store's reachability and the mutual
// TLS certificates.

#include "actors/doctor/doctor.hpp"

#include <cstdio>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "actors/messages.hpp"
#include "runtime/error.hpp"
#include "runtime/network_shutdown.hpp"

namespace vigil::doctor {

namespace {

check_result result(check_result::level status, std::string evidence,
                    std::string fix = {}) {
  return check_result{"cluster", status, std::move(evidence), std::move(fix)};
}

check_result cert_result(check_result::level status, std::string evidence,
                         std::string fix = {}) {
  return check_result{"certificates", status, std::move(evidence),
                      std::move(fix)};
}

std::string ranges(const std::vector<int32_t>& xs) {
  std::string out;
  for (size_t i = 0; i < xs.size();) {
    size_t j = i;
    while (j + 1 < xs.size() && xs[j + 1] == xs[j] + 1)
      ++j;
    if (!out.empty())
      out += ",";
    out += std::to_string(xs[i]);
    if (j > i)
      out += "-" + std::to_string(xs[j]);
    i = j + 1;
  }
  return out;
}

using x509_ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using key_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

x509_ptr read_cert(const std::string& path) {
  x509_ptr out{nullptr, X509_free};
  if (auto* f = std::fopen(path.c_str(), "r")) {
    out.reset(PEM_read_X509(f, nullptr, nullptr, nullptr));
    std::fclose(f);
  }
  return out;
}

key_ptr read_key(const std::string& path) {
  key_ptr out{nullptr, EVP_PKEY_free};
  if (auto* f = std::fopen(path.c_str(), "r")) {
    out.reset(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
    std::fclose(f);
  }
  return out;
}

/// Seconds from `now_s` until the certificate's notAfter (negative: past).
int64_t seconds_left(X509* cert, int64_t now_s) {
  int days = 0;
  int secs = 0;
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> now{
      ASN1_TIME_set(nullptr, static_cast<time_t>(now_s)), ASN1_TIME_free};
  if (!now
      || ASN1_TIME_diff(&days, &secs, now.get(), X509_get0_notAfter(cert)) != 1)
    return 0;
  return int64_t{days} * 86400 + secs;
}

bool not_yet_valid(X509* cert, int64_t now_s) {
  auto t = static_cast<time_t>(now_s);
  return X509_cmp_time(X509_get0_notBefore(cert), &t) > 0;
}

} // namespace

check_result check_certificates(const tls_files& f, int64_t now_s) {
  if (f.ca.empty() && f.cert.empty() && f.key.empty())
    return cert_result(check_result::ok,
                       "no TLS configured: the cluster and console endpoints "
                       "serve loopback only");
  const std::string fix_make
      = "make them as docs/deploy.md, \"Cluster certificates\", shows";
  auto ca = read_cert(f.ca);
  if (!ca)
    return cert_result(check_result::fail,
                       "cannot read a PEM certificate from --tls-ca " + f.ca,
                       fix_make);
  auto cert = read_cert(f.cert);
  if (!cert)
    return cert_result(
        check_result::fail,
        "cannot read a PEM certificate from --tls-cert " + f.cert, fix_make);
  auto key = read_key(f.key);
  if (!key)
    return cert_result(check_result::fail,
                       "cannot read a PEM private key from --tls-key " + f.key,
                       fix_make);
  key_ptr ca_key{X509_get_pubkey(ca.get()), EVP_PKEY_free};
  if (!ca_key || X509_verify(cert.get(), ca_key.get()) != 1)
    return cert_result(check_result::fail,
                       "--tls-cert " + f.cert
                           + " is not signed by the CA in --tls-ca " + f.ca
                           + ": peers would refuse this node",
                       "sign the node's certificate with the cluster's CA");
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return cert_result(check_result::fail,
                       "--tls-key " + f.key + " does not belong to --tls-cert "
                           + f.cert,
                       "pass the key the certificate was made for");
  for (const auto& [what, c] :
       {std::pair<std::string, X509*>{"--tls-ca " + f.ca, ca.get()},
        std::pair<std::string, X509*>{"--tls-cert " + f.cert, cert.get()}}) {
    if (not_yet_valid(c, now_s))
      return cert_result(check_result::fail,
                         what + " is not valid yet (check this host's clock)",
                         "fix the clock or reissue the certificate");
    auto left = seconds_left(c, now_s);
    if (left <= 0)
      return cert_result(check_result::fail, what + " has expired",
                         "reissue it (docs/deploy.md, \"Cluster "
                         "certificates\")");
    if (left < 14 * 86400)
      return cert_result(check_result::warn,
                         what + " expires in " + std::to_string(left / 86400)
                             + " days",
                         "reissue it before it expires: peers refuse an "
                         "expired certificate");
  }
  auto left = std::min(seconds_left(ca.get(), now_s),
                       seconds_left(cert.get(), now_s));
  return cert_result(check_result::ok,
                     "certificate signed by the cluster CA, key matches, "
                     "valid for "
                         + std::to_string(left / 86400) + " more days");
}

cluster_probe probe_cluster(const node_config& cfg,
                            std::chrono::milliseconds timeout) {
  cluster_probe out;
  out.role = cfg.role;
  if (cfg.role == "all")
    return out;
  std::string host;
  uint16_t port = 0;
  if (cfg.role == "ingest") {
    auto colon = cfg.store.rfind(':');
    if (colon == std::string::npos) {
      out.error = "no --store HOST:PORT";
      return out;
    }
    host = cfg.store.substr(0, colon);
    port = static_cast<uint16_t>(std::stoul(cfg.store.substr(colon + 1)));
  } else {
    host = cfg.cluster_host == "0.0.0.0" ? "127.0.0.1" : cfg.cluster_host;
    port = static_cast<uint16_t>(cfg.cluster_port);
  }
  out.address = host + ":" + std::to_string(port);
  caf::actor_system_config sys_cfg;
  sys_cfg.add_message_types<caf::id_block::vigil>();
  add_error_category(sys_cfg);
  sys_cfg.load<caf::io::middleman>();
  const bool tls = !cfg.tls_ca.empty();
  if (tls) {
    sys_cfg.load<caf::openssl::manager>();
    sys_cfg.openssl_cafile = cfg.tls_ca;
    sys_cfg.openssl_certificate = cfg.tls_cert;
    sys_cfg.openssl_key = cfg.tls_key;
  }
  set_network_heartbeat(sys_cfg);
  sys_cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{sys_cfg};
  network_stopper stopper{sys};
  auto gateway = tls ? caf::openssl::remote_actor(sys, host, port)
                     : sys.middleman().remote_actor(host, port);
  if (!gateway) {
    out.error = sys.render(gateway.error());
    return out;
  }
  caf::scoped_actor self{sys};
  caf::actor coordinator;
  self->request(*gateway, timeout, coordinator_request{"vigil doctor"})
      .receive([&](caf::actor& c) { coordinator = std::move(c); },
               [&](caf::error& err) { out.error = sys.render(err); });
  if (!coordinator) {
    if (out.error.empty())
      out.error = "the store's coordinator is not running";
    return out;
  }
  self->request(coordinator, timeout, atom::nodes_v)
      .receive(
          [&](cluster_view& v) {
            out.answered = true;
            out.generation = v.generation;
            out.running = v.running;
            out.unowned = v.unowned;
            for (const auto& n : v.nodes)
              out.nodes.push_back(n.name + ": "
                                  + (n.partitions.empty()
                                         ? std::string{"no partitions"}
                                         : ranges(n.partitions)));
          },
          [&](caf::error& err) { out.error = sys.render(err); });
  return out;
}

check_result check_cluster(const cluster_probe& p) {
  if (p.role == "all")
    return result(check_result::ok, "a single node (role all)");
  if (!p.answered) {
    if (p.role == "store")
      return result(check_result::warn,
                    "no store answers on " + p.address + ": " + p.error,
                    "start it with vigil run --role store (this check asks "
                    "the running store)");
    return result(check_result::fail,
                  "the store at " + p.address
                      + " cannot be reached: " + p.error,
                  "start the store, check --store and, with TLS, that both "
                  "sides' certificates come from the same CA");
  }
  std::string nodes;
  for (const auto& n : p.nodes)
    nodes += (nodes.empty() ? "" : "; ") + n;
  auto evidence = "store " + p.address + ", generation "
                  + std::to_string(p.generation) + ", "
                  + std::to_string(p.nodes.size()) + " nodes"
                  + (nodes.empty() ? "" : " (" + nodes + ")");
  if (!p.running)
    return result(
        check_result::warn,
        evidence + "; HOLDING: partitions without an owner: "
            + (p.unowned.empty() ? std::string{"none"} : ranges(p.unowned)),
        "start ingest nodes in the same --group until every "
        "partition is assigned (vigil console nodes on the store)");
  return result(check_result::ok, evidence + ", running");
}

} // namespace vigil::doctor
