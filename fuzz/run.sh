#!/usr/bin/env bash
# Builds the AFL harness, instruments CertPolicy.dll with SharpFuzz and runs afl-fuzz on one target.
# usage: fuzz/run.sh TARGET [SECONDS]   (default 300; targets: see fuzz/README.md)
#        FUZZ_EXECS=10000000 fuzz/run.sh TARGET 7200   stops after that many executions (afl-fuzz -E) or SECONDS
# Needs afl++ (apt-get install -y afl++) and the SharpFuzz CLI
# (dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0); installs them when missing and root.
# Output: fuzz/findings/TARGET (afl's queue, crashes/, hangs/, fuzzer_stats); not committed.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-300}
[ -d "corpus/$target" ] || { echo "run.sh: no corpus/$target" >&2; exit 2; }

if ! command -v afl-fuzz >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq afl++ >/dev/null
fi
sharpfuzz=${SHARPFUZZ:-$HOME/.dotnet/tools/sharpfuzz}
if [ ! -x "$sharpfuzz" ]; then
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

# A fresh output folder each time: the instrumented CertPolicy.dll must be the one just built, instrumented once.
# FUZZ_NO_BUILD=1 reuses the last instrumented build (to run several targets in a row over the same library).
out=build
if [ "${FUZZ_NO_BUILD:-0}" != 1 ] || [ ! -f "$out/CertPolicy.Fuzz.dll" ]; then
  rm -rf "$out"
  dotnet build CertPolicy.Fuzz/CertPolicy.Fuzz.csproj -c Release -o "$out" -nologo -v q
  "$sharpfuzz" "$out/CertPolicy.dll"
  # The messaging targets (pgp, pgp-eval, container, smime-eval) run mostly here: without it AFL sees no edges for
  # a binary OpenPGP seed ("No instrumentation detected").
  "$sharpfuzz" "$out/CertPolicy.Messaging.dll"
  # The log target runs in CertPolicy.Tooling (Monitoring/PostfixTlsLogScanner moved there): same reason.
  "$sharpfuzz" "$out/CertPolicy.Tooling.dll"
fi

# Seeds only: the corpus folder also holds regressions/ (crash reproducers), which afl must not start from.
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
find "corpus/$target" -maxdepth 1 -type f -exec cp {} "$seeds/" \;

mkdir -p findings
rm -rf "findings/$target"
# The status screen when on a terminal; plain progress lines otherwise (logs, CI).
[ -t 1 ] || export AFL_NO_UI=1
# -t 10000: the first input includes the .NET start-up and JIT. -m none: the CLR reserves lots of virtual memory.
# -V: stop after SECONDS. AFL_NO_AFFINITY: do not pin a core (the machine is shared; run one instance at a time).
AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
  afl-fuzz -i "$seeds" -o "findings/$target" -t 10000 -m none -V "$seconds" ${FUZZ_EXECS:+-E "$FUZZ_EXECS"} -- dotnet "$out/CertPolicy.Fuzz.dll" "$target"

stats="findings/$target/default/fuzzer_stats"
if [ -f "$stats" ]; then
  grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg) ' "$stats"
fi
