#!/bin/sh
# Writes a realistic Postfix tls_policy table of about SIZE_MB megabytes to OUT (issue 14's "50 MB table"):
# one partner domain per entry with its own match=, bracketed next hops with ports, parent-domain keys, the other
# levels, comments and continuation lines. Deterministic (no randomness), so runs are comparable.
# Usage: benchmarks/make-policy-table.sh 50 /tmp/tls_policy_50mb
set -eu
size_mb=${1:?size in MB}
out=${2:?output file}
awk -v limit="$((size_mb * 1000 * 1000))" 'BEGIN {
  n = 0; bytes = 0
  while (bytes < limit) {
    d = "partner" n ".example.com"
    k = n % 10
    if (k == 0)      line = "# partner " n "\n" d " secure match=." d " ciphers=high protocols=>=TLSv1.2"
    else if (k == 1) line = "." d "\tsecure match=." d "\n    ciphers=high\n    protocols=>=TLSv1.2"
    else if (k == 2) line = "[mx" n ".example.net]:587 encrypt protocols=>=TLSv1.2"
    else if (k == 3) line = d " verify match=hostname:nexthop ciphers=high protocols=>=TLSv1.2"
    else if (k == 4) line = d " may"
    else if (k == 5) line = d " secure, match=nexthop:dot-nexthop, ciphers=high, protocols=>=TLSv1.2"
    else if (k == 6) line = d " encrypt ciphers=high exclude=aNULL:3DES protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1"
    else if (k == 7) line = "[" d "] secure match=." d ":mail." d " ciphers=high protocols=>=TLSv1.2"
    else if (k == 8) line = d " dane-only"
    else             line = d " secure match=." d " ciphers=high protocols=>=TLSv1.2 servername=hostname"
    print line
    bytes += length(line) + 1
    n++
  }
}' > "$out"
