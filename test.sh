#!/usr/bin/env bash
# Runs every test. On a clean Debian 12 machine with only the .NET SDK it first installs the real
# peers the tests talk to: Postfix (postmap, posttls-finger), nsd, unbound and ldnsutils (DNS), OpenSSL, GnuPG, Go (golang-go, Go 1.19:
# the tests build tools/go-x509-oracle offline with it), the system CA store, and a C linker for the NativeAOT build. Postfix is installed with debconf "No configuration" and is never started as a service:
# the tests run its binaries with a private MAIL_CONFIG directory.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v postmap >/dev/null 2>&1 || need+=(postfix)
command -v posttls-finger >/dev/null 2>&1 || need+=(postfix)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v gpg >/dev/null 2>&1 || need+=(gnupg)
command -v go >/dev/null 2>&1 || need+=(golang-go)
[ -d /etc/ssl/certs ] && [ -n "$(ls -A /etc/ssl/certs 2>/dev/null)" ] || need+=(ca-certificates)
# The NativeAOT build the tests publish once (README, "Install"): a linker driver (clang, or gcc, the SDK's fallback)
# and objcopy. zlib1g-dev is not needed: the NativeAOT runtime pack ships its own libz.a.
command -v clang >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need+=(clang)
command -v objcopy >/dev/null 2>&1 || need+=(binutils)
# The DNS fixture (tests/CertPolicy.Tests/Support/DnsZoneFixture.cs): nsd serves signed test zones, unbound validates
# them, ldnsutils signs them (ldns-keygen, ldns-signzone) and is the oracle (drill). Never started as services: the
# tests run private instances on 127.0.0.1 high ports (the policy-rc.d below keeps the package scripts from starting them).
command -v nsd >/dev/null 2>&1 || need+=(nsd)
command -v unbound >/dev/null 2>&1 || need+=(unbound)
command -v ldns-signzone >/dev/null 2>&1 || need+=(ldnsutils)
command -v drill >/dev/null 2>&1 || need+=(ldnsutils)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing ${need[*]}; run as root, or: sudo apt-get install -y ${need[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # A policy-rc.d that says "no" keeps the package scripts from starting Postfix, nsd or unbound as a service.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

log=$(mktemp)
set +e
dotnet test CertPolicy.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line for CI, summed over the test assemblies.
# (vstest prints "Passed: N" / "Failed: N" per test assembly in its summary.)
passed=$( (grep -Eo 'Passed: +[0-9]+' "$log" || true) | awk '{s += $2} END {print s + 0}')
failed=$( (grep -Eo 'Failed: +[0-9]+' "$log" || true) | awk '{s += $2} END {print s + 0}')
# The failed tests again, with their messages, just above the closing line: CI keeps only the tail of the output.
if grep -qE '^ +Failed [A-Za-z_]' "$log"; then
  echo "failed tests (name, message; stack traces omitted):"
  awk '/^ +Failed [A-Za-z_]/ {show = 1; n = 0} /^ +Stack Trace:/ {show = 0} show && n < 25 {print; n++}' "$log"
fi
rm -f "$log"
echo "tests: ${passed:-0} passed, ${failed:-0} failed"
exit "$status"
