#!/usr/bin/env bash
# Writes a compliant OV test chain for the start-up benchmark into DIR (default: a new temp folder) with openssl:
# root.pem (RSA 2048 root), inter.pem (P-256 issuing CA), leaf.pem (P-256, mail.example.com, OV policy,
# serverAuth, key identifiers: R-C11) and chain.pem (leaf + intermediate, as a gateway presents it).
# Prints DIR.
set -euo pipefail
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
cd "$dir"
cat > ext.cnf <<'CNF'
[root]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
certificatePolicies = 2.5.29.32.0
[leaf]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
extendedKeyUsage = serverAuth
subjectAltName = DNS:mail.example.com, DNS:example.com
certificatePolicies = 2.23.140.1.2.2
CNF
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -subj "/C=DE/O=Test Trust/CN=Test Root CA" -days 3650 -sha256 \
  -config <(printf '[req]\ndistinguished_name = dn\n[dn]\n'; cat ext.cnf) -extensions root -out root.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout inter.key -subj "/C=DE/O=Test Trust/CN=Test Issuing CA" -out inter.csr 2>/dev/null
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -set_serial 2 -days 1825 -sha256 -extfile ext.cnf -extensions inter -out inter.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -subj "/C=DE/O=Example GmbH/CN=mail.example.com" -out leaf.csr 2>/dev/null
openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -set_serial 3 -days 200 -sha256 -extfile ext.cnf -extensions leaf -out leaf.pem 2>/dev/null
cat leaf.pem inter.pem > chain.pem
rm -f ./*.csr
echo "$dir"
