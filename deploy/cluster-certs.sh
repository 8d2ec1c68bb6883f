#!/bin/sh
# Makes the certificates a vigil cluster's mutual TLS needs, once, into DIR
# (default /tls): the cluster's CA and one certificate it signed, which
# every node of this deployment presents. Idempotent: an existing CA and
# node certificate are kept, so restarting a compose project does not
# change them.
#
#   deploy/cluster-certs.sh [DIR] [OWNER]
#
# OWNER (user[:group]) receives the files; the private keys are readable by
# it only. docs/cluster.md ("Cluster certificates") shows the same steps to
# make one certificate per node and keep the CA's key offline.
set -eu
dir=${1:-/tls}
owner=${2:-}
days_ca=${VIGIL_CA_DAYS:-3650}
days_node=${VIGIL_CERT_DAYS:-365}
mkdir -p "$dir"
cd "$dir"
if [ -s cluster-ca.pem ] && [ -s node.pem ] && [ -s node.key ]; then
  if openssl verify -CAfile cluster-ca.pem node.pem >/dev/null 2>&1 &&
    openssl x509 -checkend $((14 * 24 * 3600)) -noout -in node.pem >/dev/null; then
    echo "cluster-certs: keeping the certificates in $dir"
    exit 0
  fi
  echo "cluster-certs: node.pem in $dir is not signed by cluster-ca.pem or" \
    "expires within 14 days; making a new one"
fi
umask 077
if [ ! -s cluster-ca.pem ] || [ ! -s cluster-ca.key ]; then
  openssl req -x509 -newkey rsa:3072 -nodes -days "$days_ca" \
    -keyout cluster-ca.key -out cluster-ca.pem -subj "/CN=vigil cluster CA" \
    2>/dev/null
fi
openssl req -newkey rsa:3072 -nodes -keyout node.key -out node.csr \
  -subj "/CN=vigil node" 2>/dev/null
openssl x509 -req -in node.csr -CA cluster-ca.pem -CAkey cluster-ca.key \
  -CAcreateserial -days "$days_node" -out node.pem 2>/dev/null
rm -f node.csr
chmod 644 cluster-ca.pem node.pem
chmod 600 cluster-ca.key node.key
if [ -n "$owner" ]; then
  chown "$owner" cluster-ca.pem node.pem node.key
fi
echo "cluster-certs: made cluster-ca.pem, node.pem and node.key in $dir"
