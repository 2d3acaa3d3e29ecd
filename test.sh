#!/usr/bin/env bash
# Runs every test. On a clean Debian 12 machine with only the .NET SDK it first installs the real
# peers the tests talk to (Postfix's postmap and posttls-finger, OpenSSL). Postfix is installed
# with debconf "No configuration" and is never started as a system service: the tests run its
# binaries with a private MAIL_CONFIG directory.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v postmap >/dev/null 2>&1 || need+=(postfix)
command -v posttls-finger >/dev/null 2>&1 || need+=(postfix)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: missing ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # policy-rc.d keeps the package scripts from starting Postfix as a service.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

dotnet test CertPolicy.sln -c Release --logger "console;verbosity=normal" "$@"
