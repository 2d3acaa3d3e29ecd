#!/usr/bin/env bash
# The start-up benchmark (benchmarks/README.md, "Start-up"): publishes certpolicy and an AOT hello-world with
# NativeAOT, makes a test chain with openssl, exports the curated trust bundle as PEM, then times whole processes,
# interleaved (interleaved.sh): openssl verify against certpolicy verify on the same files.
#   benchmarks/startup/run.sh [ROUNDS]       (default 30; needs openssl and the NativeAOT prerequisites, README "Install")
set -euo pipefail
rounds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet publish "$repo/src/CertPolicy.Cli" -c Release -r linux-x64 -p:PublishAot=true -o "$work/aot" --disable-build-servers -nologo >"$work/publish.log" || { cat "$work/publish.log"; exit 1; }
dotnet publish "$here/Hello" -c Release -r linux-x64 -o "$work/hello" --disable-build-servers -nologo >"$work/hello.log" || { cat "$work/hello.log"; exit 1; }
"$here/make-chain.sh" "$work/chain" >/dev/null
"$work/aot/certpolicy" bundle build --out "$work/bundle" --bundle-formats pem >/dev/null
cd "$work/chain"
curated="$work/bundle/certpolicy-trust.pem"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg); rounds: $rounds"
"$here/interleaved.sh" "$rounds" \
  "openssl verify -CAfile root.pem -untrusted inter.pem leaf.pem" \
  "$work/hello/Hello" \
  "$work/aot/certpolicy verify chain.pem --nexthop example.com --roots root.pem"
"$here/interleaved.sh" "$rounds" \
  "openssl verify -CAfile $curated -untrusted inter.pem leaf.pem" \
  "$work/aot/certpolicy verify chain.pem --nexthop example.com"
