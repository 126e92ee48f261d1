#!/usr/bin/env bash
# Upload throughput over HTTP with N uploads in flight, against the pipeline
# alone on the same files in the same run (docs/benchmarks.md, "Uploads in
# flight"). The release binary on the embedded store (SQLite and encrypted
# files, fsynced), development tokens, upload rate limit off. Each level
# uploads every image of DIR PASSES times, spread over 8 users (one user may
# have 4 uploads in flight), N at a time, and counts images per second from the
# first request to the last 201.
#
#   bench/upload-throughput.sh DIR [N...]     # default N: 1 2 8
#
# Knobs (environment): BIN (default the release build under CARGO_TARGET_DIR),
# PORT (18091), PASSES (2). Needs: curl, xargs.
set -euo pipefail

DIR=$(cd "${1:?usage: bench/upload-throughput.sh DIR [N...]}" && pwd)
shift
LEVELS=("$@")
((${#LEVELS[@]})) || LEVELS=(1 2 8)
PORT=${PORT:-18091}
PASSES=${PASSES:-2}
# shellcheck source=bench/embedded-server.sh
source "$(dirname "$0")/embedded-server.sh"
for u in $(seq 0 7); do "$BIN" dev-token --sub "throughput-$u" >"$DATA/token-$u"; done

# One job per line: "TOKEN_FILE IMAGE".
JOBS=$DATA/jobs
: >"$JOBS"
n=0
for _ in $(seq "$PASSES"); do
  for f in "$DIR"/*.jpg "$DIR"/*.jpeg "$DIR"/*.png "$DIR"/*.webp; do
    [[ -f $f ]] || continue
    echo "$DATA/token-$((n % 8)) $f" >>"$JOBS"
    n=$((n + 1))
  done
done

upload() {
  # curl declares .webp as application/octet-stream, which the service refuses.
  local type=image/jpeg
  case $2 in *.png) type=image/png ;; *.webp) type=image/webp ;; esac
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat "$1")" \
    -F "file=@$2;type=$type" "http://127.0.0.1:$PORT/images")
  [[ $code == 201 ]] || { echo "$2: HTTP $code" >&2; return 1; }
}
export -f upload
export PORT

pipeline=$("$BIN" bench-pipeline "$DIR")
echo "pipeline alone (one image per core, storage excluded): $pipeline"
for level in "${LEVELS[@]}"; do
  start=$(date +%s.%N)
  xargs -P "$level" -L 1 bash -c 'upload "$0" "$1"' <"$JOBS"
  end=$(date +%s.%N)
  awk -v n="$n" -v s="$start" -v e="$end" -v l="$level" \
    'BEGIN { printf "in flight %d: %d uploads in %.2f s, %.2f images/s\n", l, n, e - s, n / (e - s) }'
done
