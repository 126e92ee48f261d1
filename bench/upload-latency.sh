#!/usr/bin/env bash
# Latency of one upload over HTTP, request to 201 (docs/benchmarks.md, "One
# 12-megapixel upload"): the release binary on the embedded store (SQLite and
# encrypted files, both variants fsynced), a development token, uploads limit
# off, one upload at a time. One warm-up upload, then RUNS timed ones. Then,
# in the same run, the pipeline's stages on the same file alone
# (`bench-pipeline --stages`), and the upload's median over the display encode's.
#
#   bench/upload-latency.sh IMAGE [RUNS]      # median, min and max; stages; ratio
#
# Knobs (environment): BIN (the binary; default the release build under
# CARGO_TARGET_DIR), PORT (18090), GAP (s between uploads, 0.3).
# Needs: curl. The server's data lives in a temporary folder, removed at exit.
set -euo pipefail

IMAGE=${1:?usage: bench/upload-latency.sh IMAGE [RUNS]}
RUNS=${2:-15}
PORT=${PORT:-18090}
GAP=${GAP:-0.3}
# shellcheck source=bench/embedded-server.sh
source "$(dirname "$0")/embedded-server.sh"
TOKEN=$("$BIN" dev-token --sub latency)

times=()
for i in $(seq 0 "$RUNS"); do
  out=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $TOKEN" \
    -F "file=@$IMAGE" "http://127.0.0.1:$PORT/images")
  [[ ${out% *} == 201 ]] || { echo "upload $i: HTTP ${out% *}" >&2; exit 1; }
  ((i > 0)) && times+=("${out#* }")
  sleep "$GAP"
done
median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR] = $1 * 1000}
  END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
       printf "%.1f %.0f %.0f", m, a[1], a[NR]}')
read -r p50 fastest slowest <<<"$median"
echo "uploads $RUNS  median $p50 ms  min $fastest ms  max $slowest ms"

mkdir "$DATA/one"
cp "$IMAGE" "$DATA/one/"
stages=$("$BIN" bench-pipeline "$DATA/one" --stages --runs "$RUNS")
echo "stages (median ms): $stages"
encode=$(sed -E 's/.*"display_encode_ms":([0-9.]+).*/\1/' <<<"$stages")
awk -v p="$p50" -v e="$encode" 'BEGIN { printf "upload p50 / display encode alone: %.3f\n", p / e }'
