#!/usr/bin/env bash
# A/B timing of two whole commands on a noisy machine.
#
#   ./ab.sh RUNS --vs 'B COMMAND' -- A COMMAND [ARG...]
#   e.g. ./ab.sh 5 --vs 'node sharp_pipeline.js work/corpus work/out' -- \
#            "$CARGO_TARGET_DIR"/release/image-service bench-pipeline work/corpus
#
# One warm-up pair (not counted), then RUNS pairs run alternately, A B A B ...,
# each under GNU time (/usr/bin/time, Debian package `time`). Prints every
# pair, then median, min and max of wall seconds, CPU seconds (user + system)
# and peak RSS (of the largest process) for A and for B, and of the A/B ratios
# of wall and CPU taken pair by pair: a machine that drifts slows both halves
# of a pair alike, so the paired ratio is steadier than the ratio of medians.
# B is a shell string (run with bash -c); A is the arguments after --.
# The commands' own output goes to work/ab_A.log and work/ab_B.log beside this
# script.
set -euo pipefail

usage() { echo "usage: $0 RUNS --vs 'B COMMAND' -- A COMMAND [ARG...]" >&2; exit 2; }
[[ $# -ge 5 && $1 =~ ^[1-9][0-9]*$ && $2 == --vs && $4 == -- ]] || usage
runs=$1 b_command=$3
shift 4
a_command=("$@")
[[ -x /usr/bin/time ]] || { echo "GNU time is missing: apt-get install -y time" >&2; exit 1; }

logs=$(cd "$(dirname "$0")" && pwd)/work
mkdir -p "$logs"
: >"$logs/ab_A.log"
: >"$logs/ab_B.log"
measured=$(mktemp)
samples=$(mktemp)
trap 'rm -f "$measured" "$samples"' EXIT

failed() { echo "command $1 failed; its output is in $logs/ab_$1.log" >&2; exit 1; }

# Runs one side; prints "wall cpu peak_kib".
timed() {
  if [[ $1 == A ]]; then
    /usr/bin/time -o "$measured" -f '%e %U %S %M' "${a_command[@]}" >>"$logs/ab_A.log" 2>&1 || failed A
  else
    /usr/bin/time -o "$measured" -f '%e %U %S %M' bash -c "$b_command" >>"$logs/ab_B.log" 2>&1 || failed B
  fi
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$measured"
}

timed A >/dev/null
timed B >/dev/null
echo "warm-up done"
for ((run = 1; run <= runs; run++)); do
  a=$(timed A)
  b=$(timed B)
  read -r a_wall a_cpu a_peak <<<"$a"
  read -r b_wall b_cpu b_peak <<<"$b"
  echo "$a_wall $a_cpu $a_peak $b_wall $b_cpu $b_peak" >>"$samples"
  printf 'run %d: A wall %ss cpu %ss peak %dMiB | B wall %ss cpu %ss peak %dMiB\n' \
    "$run" "$a_wall" "$a_cpu" $((a_peak / 1024)) "$b_wall" "$b_cpu" $((b_peak / 1024))
done

# Column $1 of the samples (an awk expression over the fields) as "median min max".
summary() {
  awk "{ print $1 }" "$samples" | sort -g | awk '
    { v[NR] = $1 }
    END {
      median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "median %s  min %s  max %s\n", median, v[1], v[NR]
    }'
}
echo "A wall s   : $(summary '$1')"
echo "A cpu s    : $(summary '$2')"
echo "A peak KiB : $(summary '$3')"
echo "B wall s   : $(summary '$4')"
echo "B cpu s    : $(summary '$5')"
echo "B peak KiB : $(summary '$6')"
echo "A/B wall   : $(summary 'sprintf("%.4f", $1 / ($4 > 0 ? $4 : 0.01))')"
echo "A/B cpu    : $(summary 'sprintf("%.4f", $2 / ($5 > 0 ? $5 : 0.01))')"
