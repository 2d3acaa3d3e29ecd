#!/usr/bin/env bash
# Times whole processes, interleaved: each round runs every command once, in turn, so that load from other
# processes on the machine falls on all of them alike. Prints per command the median, min and max wall time (ms)
# over N rounds and its ratio to the first command's median.
#   interleaved.sh N 'baseline command' 'command 2' ...
# Each command runs through bash -c with stdout and stderr to /dev/null; the timer is bash's $EPOCHREALTIME
# (microseconds) around the whole process, so the fork/exec cost is the same for every command.
set -euo pipefail
rounds=$1
shift
cmds=("$@")
declare -A samples
for c in "${!cmds[@]}"; do
  bash -c "${cmds[$c]}" >/dev/null 2>&1 || true   # warm-up: page cache
done
for ((r = 0; r < rounds; r++)); do
  for c in "${!cmds[@]}"; do
    t0=$EPOCHREALTIME
    bash -c "exec ${cmds[$c]}" >/dev/null 2>&1 || true
    t1=$EPOCHREALTIME
    samples[$c]+="$(( (${t1/./} - ${t0/./}) )) "
  done
done
base=""
for c in "${!cmds[@]}"; do
  read -r med min max < <(tr ' ' '\n' <<<"${samples[$c]}" | grep -v '^$' | sort -n |
    awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; print m, a[1], a[NR]}')
  [ -z "$base" ] && base=$med
  awk -v m="$med" -v lo="$min" -v hi="$max" -v b="$base" -v n="$rounds" -v cmd="${cmds[$c]}" \
    'BEGIN {printf "%8.2f ms median (min %.2f, max %.2f, n=%d)  %5.2fx  %s\n", m/1000, lo/1000, hi/1000, n, m/b, cmd}'
done
