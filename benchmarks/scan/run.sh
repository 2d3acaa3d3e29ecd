#!/usr/bin/env bash
# The scan benchmark (issue 15; benchmarks/README.md, "Scan"): COUNT partner domains, each with one MX gateway on its
# own loopback address, scanned by `certpolicy scan --parallel P`, next to Postfix's posttls-finger run once per gateway
# in a sequential shell loop, in the same run.
#   benchmarks/scan/run.sh [COUNT] [PARALLEL]      (defaults 1000 and 32)
#   SCAN_BENCH_ALSO=/path/to/native/certpolicy benchmarks/scan/run.sh     also measures a NativeAOT build (README, "Install")
#   SCAN_BENCH_NO_FINGER=1 skips the posttls-finger loop; SCAN_BENCH_KEEP=1 keeps the work directory
# Real parts, all on 127.0.0.0/8 (Linux routes the whole /8 to lo): a DNSSEC-signed zone bench.test (ldnsutils) served
# by nsd and validated by unbound, as in the test fixture (tests/CertPolicy.Tests/Support/DnsZoneFixture.cs); one
# process of lightweight STARTTLS gateways (benchmarks/CertPolicy.Benchmarks/StartTlsGateways.cs), one listener per
# address 127.0.(1 + i/250).(1 + i%250), all presenting one ECDSA P-256 leaf for *.gw.bench.test issued by a test root.
# Per domain dNNNN.bench.test: MX 10 gNNNN.gw.bench.test, its A record and a TLSA 3 1 1 record, all DNSSEC-secure, so
# the scan does MX, A, AAAA, TLSA and the _mta-sts TXT look-up, the STARTTLS probe, the chain, names, floor and DANE.
# posttls-finger gets each gateway as [ADDRESS]:PORT (no DNS at all: that favours it) at level secure with the root.
# Needs: nsd, unbound, ldnsutils, openssl, postfix (posttls-finger), /usr/bin/time, the .NET SDK.
set -euo pipefail
count=${1:-1000}
parallel=${2:-32}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${SCAN_BENCH_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
[ -n "${SCAN_BENCH_KEEP:-}" ] && echo "work: $work"

dotnet build "$repo/src/CertPolicy.Cli" -c Release -nologo -v q >/dev/null
dotnet build "$repo/benchmarks/CertPolicy.Benchmarks" -c Release -nologo -v q >/dev/null
# SCAN_BENCH_CLI=PATH: the certpolicy to measure, e.g. the NativeAOT executable (README, "Install"); default: the
# framework-dependent build (dotnet CertPolicy.Cli.dll, JIT-compiled at start).
if [ -n "${SCAN_BENCH_CLI:-}" ]; then cli=("$SCAN_BENCH_CLI"); else cli=("dotnet" "$repo/src/CertPolicy.Cli/bin/Release/net10.0/CertPolicy.Cli.dll"); fi
bench=("dotnet" "$repo/benchmarks/CertPolicy.Benchmarks/bin/Release/net10.0/CertPolicy.Benchmarks.dll")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
addr() { echo "127.0.$((1 + $1 / 250)).$((1 + $1 % 250))"; }

cd "$work"
# The test PKI: a root and a wildcard leaf (openssl).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem -days 30 \
  -subj "/O=CertPolicy bench/CN=Bench Root" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr -subj "/O=CertPolicy bench/CN=*.gw.bench.test" 2>/dev/null
printf 'subjectAltName=DNS:*.gw.bench.test\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 -out leaf.pem -extfile leaf.ext 2>/dev/null
spki=$(openssl x509 -in leaf.pem -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)

# The zone and the policy table.
{
  printf '$ORIGIN bench.test.\n$TTL 3600\n@ SOA ns1.bench.test. hostmaster.bench.test. 1 3600 600 86400 300\n@ NS ns1.bench.test.\nns1 A 127.0.0.1\n'
  for ((i = 0; i < count; i++)); do
    n=$(printf '%04d' "$i")
    printf 'd%s MX 10 g%s.gw\ng%s.gw A %s\n_25._tcp.g%s.gw TLSA 3 1 1 %s\n' "$n" "$n" "$n" "$(addr "$i")" "$n" "$spki"
  done
} > bench.test.zone
for ((i = 0; i < count; i++)); do printf 'd%04d.bench.test secure match=hostname\n' "$i"; done > tls_policy
key=$(ldns-keygen -a ECDSAP256SHA256 -k bench.test)
ldns-signzone -o bench.test. -f bench.test.signed bench.test.zone "$key"
cp "$key.ds" anchors

nsd_port=$(free_port)
cat > nsd.conf <<EOF
server:
  ip-address: 127.0.0.1@$nsd_port
  port: $nsd_port
  username: ""
  chroot: ""
  zonesdir: "$work"
  database: ""
  pidfile: "$work/nsd.pid"
  xfrdfile: "$work/xfrd.state"
  xfrdir: "$work"
  zonelistfile: "$work/zone.list"
  logfile: "$work/nsd.log"
  server-count: 1
  reuseport: no
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: bench.test
  zonefile: bench.test.signed
EOF
nsd -d -c nsd.conf & pids+=($!)
dns_port=$(free_port)
cat > unbound.conf <<EOF
server:
  interface: 127.0.0.1@$dns_port
  port: $dns_port
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: "$work/unbound.pid"
  use-syslog: no
  logfile: "$work/unbound.log"
  do-daemonize: no
  num-threads: 1
  so-reuseport: no
  do-not-query-localhost: no
  module-config: "validator iterator"
  val-permissive-mode: no
  trust-anchor-file: "$work/anchors"
  local-zone: "test." nodefault
  msg-cache-size: 64m
  rrset-cache-size: 64m
remote-control:
  control-enable: yes
  control-interface: "$work/unbound.ctl"
  control-use-cert: no
stub-zone:
  name: "."
  stub-addr: 127.0.0.1@$nsd_port
stub-zone:
  name: "bench.test"
  stub-addr: 127.0.0.1@$nsd_port
EOF
unbound -d -c unbound.conf & pids+=($!)

smtp_port=$(free_port)
mkfifo gw.in
"${bench[@]}" starttls-gateways "$count" "$smtp_port" leaf.pem leaf.key < gw.in > gw.out 2>&1 & pids+=($!)
exec 3> gw.in
for _ in $(seq 1 300); do grep -q ready gw.out 2>/dev/null && break; sleep 0.1; done
grep -q ready gw.out || { cat gw.out; exit 1; }
for _ in $(seq 1 100); do drill -p "$dns_port" @127.0.0.1 MX d0000.bench.test 2>/dev/null | grep -q 'rcode: NOERROR' && break; sleep 0.1; done

echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg); gateways: $count; parallel: $parallel; commit: $(git -C "$repo" rev-parse --short HEAD)"

# One measured scan: LABEL then the command. First the fixed cost (one domain: process start, JIT if any, trust store),
# then every domain of the table as JSON lines, with elapsed time, peak RSS and CPU from GNU time.
scan_times=()
scan_labels=()
measure_scan() {
  local label=$1; shift
  # Every scan starts with unbound's cache empty (a reload flushes it), so none profits from an earlier one's look-ups.
  unbound-control -c "$work/unbound.conf" reload >/dev/null
  /usr/bin/time -f '%e' -o one.time "$@" scan d0000.bench.test --policy tls_policy --dns "127.0.0.1:$dns_port" \
    --port "$smtp_port" --roots root.pem --profile postfix-secure --format jsonl > /dev/null 2>&1 || true
  /usr/bin/time -f '%e %M %U %S' -o scan.time ${SCAN_BENCH_WRAP:-} "$@" scan --from-policy tls_policy --parallel "$parallel" \
    --dns "127.0.0.1:$dns_port" --port "$smtp_port" --roots root.pem --profile postfix-secure --format jsonl > scan.jsonl 2> scan.err || true
  local scan_s scan_kb scan_user scan_sys compliant
  read -r scan_s scan_kb scan_user scan_sys < <(tail -n 1 scan.time)
  compliant=$(python3 -c 'import json; print(sum(1 for l in open("scan.jsonl") if json.loads(l)["verdict"] == "pass"))')
  echo "certpolicy scan ($label): $count domains in $scan_s s = $(python3 -c "print(round($count / $scan_s, 1))") gateways/s; peak RSS $((scan_kb / 1024)) MB; CPU ${scan_user} s user + ${scan_sys} s system; domains compliant: $compliant; one domain alone: $(tail -n 1 one.time) s"
  if [ -s scan.err ]; then head -3 scan.err; fi
  scan_times+=("$scan_s")
  scan_labels+=("$label")
}
measure_scan "${SCAN_BENCH_CLI:+native}${SCAN_BENCH_CLI:-dotnet CertPolicy.Cli.dll}" "${cli[@]}"
if [ -n "${SCAN_BENCH_ALSO:-}" ]; then measure_scan "$SCAN_BENCH_ALSO" "$SCAN_BENCH_ALSO"; fi

[ -n "${SCAN_BENCH_NO_FINGER:-}" ] && exit 0
# posttls-finger, once per gateway, sequentially.
mkdir pf && printf 'compatibility_level = 3.7\nsmtp_tls_loglevel = 1\n' > pf/main.cf
start=$(date +%s.%N)
verified=0
for ((i = 0; i < count; i++)); do
  out=$(MAIL_CONFIG="$work/pf" posttls-finger -c -a ipv4 -h native -t 10 -T 10 -l secure -F root.pem "[$(addr "$i")]:$smtp_port" "$(printf 'g%04d.gw.bench.test' "$i")" 2>&1 || true)
  case "$out" in *"Verified TLS connection established"*) verified=$((verified + 1)) ;; esac
done
end=$(date +%s.%N)
pf_s=$(python3 -c "print(round($end - $start, 2))")
echo "posttls-finger loop: $count gateways in $pf_s s = $(python3 -c "print(round($count / ($end - $start), 1))") gateways/s; verified: $verified"
for k in "${!scan_times[@]}"; do
  echo "speed-up of certpolicy scan (${scan_labels[$k]}) over the posttls-finger loop: $(python3 -c "print(round(($end - $start) / ${scan_times[$k]}, 1))")x"
done
