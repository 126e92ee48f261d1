#!/usr/bin/env bash
# Load benchmark of the API (docs/benchmarks.md, section "API"): the release
# binary on SQLite, wrk with 64 connections spread over 64 users.
#
#   bench/api-load.sh                 # both parts: hot routes, then list scaling
#   PARTS=hot DUR=10 bench/api-load.sh
#   PARTS=incident DUR=10 bench/api-load.sh   # reads with incident controls in force, A/B
#
# Knobs (environment): DUR (s per run, 20), WARM (s, 3), CONNS (64), THREADS (2),
# USERS (64), PER_USER (25), SCALE ("1000 1000000"), PARTS ("hot scale"),
# QUIET_PCT (10) / QUIET_WAIT (s, 600): wait before each run until other
# processes use less than QUIET_PCT % of the machine. Scratch: $BENCH_WORK.
# Needs: cargo, python3 with `cryptography`, wrk (apt-get install -y wrk), curl.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
WORK=${BENCH_WORK:-/tmp/image-service-bench}
DUR=${DUR:-20}
WARM=${WARM:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
USERS=${USERS:-64}
PER_USER=${PER_USER:-25}
SCALE=${SCALE:-"1000 1000000"}
PARTS=${PARTS:-"hot scale"}
QUIET_PCT=${QUIET_PCT:-10}
QUIET_WAIT=${QUIET_WAIT:-600}
PORT=${PORT:-18081}
BASE=http://127.0.0.1:$PORT
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/image-service/target}

for t in cargo python3 wrk curl; do
  command -v $t >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done

(cd "$ROOT" && cargo build --release -p image-service --bin image-service)
BIN=$CARGO_TARGET_DIR/release/image-service

rm -rf "$WORK"
mkdir -p "$WORK"
python3 "$HERE/tools.py" keys "$WORK/keys"

export IMAGE_SERVICE_LISTEN=127.0.0.1:$PORT
export IMAGE_SERVICE_ADMIN_LISTEN=127.0.0.1:$((PORT + 1000))
export IMAGE_SERVICE_AUTH_ISSUER=https://cognito-idp.us-east-1.amazonaws.com/us-east-1_REFBENCH
export IMAGE_SERVICE_AUTH_AUDIENCE=ref-client-id
export IMAGE_SERVICE_AUTH_JWKS_FILE=$WORK/keys/jwks.json
# Capacity, not policy (0 switches a limit off). Per-user limits stay on.
export IMAGE_SERVICE_LIMIT_GLOBAL_PER_SEC=0
export IMAGE_SERVICE_LIMIT_IP_PER_5MIN=0

SPID=
start_server() { # data dir, log file, extra VAR=value settings...
  env IMAGE_SERVICE_DATA_DIR="$1" "${@:3}" "$BIN" >"$2" 2>&1 &
  SPID=$!
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && return 0
    kill -0 "$SPID" 2>/dev/null || { echo "server died; see $2" >&2; tail -5 "$2" >&2; exit 1; }
    sleep 0.05
  done
  echo "server did not come up" >&2; exit 1
}
stop_server() {
  if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; SPID=; fi
}
trap stop_server EXIT

busy_pct() { # whole-machine CPU busy % over $1 seconds
  local a b c d e f g h t1 i1 t2 i2
  read -r _ a b c d e f g h _ </proc/stat; t1=$((a+b+c+d+e+f+g+h)); i1=$((d+e))
  sleep "$1"
  read -r _ a b c d e f g h _ </proc/stat; t2=$((a+b+c+d+e+f+g+h)); i2=$((d+e))
  echo $(( 100 * ((t2 - t1) - (i2 - i1)) / (t2 - t1 > 0 ? t2 - t1 : 1) ))
}
wait_quiet() {
  local waited=0 bg
  bg=$(busy_pct 2)
  while [ "$bg" -ge "$QUIET_PCT" ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
    sleep 8; waited=$((waited + 10)); bg=$(busy_pct 2)
  done
  echo "$bg"
}

# A database with the schema: the service migrates on start.
fresh_db() { # dir
  start_server "$1" "$WORK/migrate.log"
  stop_server
}

RESULTS=$WORK/results.jsonl
: >"$RESULTS"
measure() { # name data_dir targets mode conns [extra env...]
  local name=$1 data=$2 targets=$3 mode=$4 conns=$5; shift 5
  local threads=$(( THREADS < conns ? THREADS : conns ))  # wrk refuses more threads than connections
  local bg; bg=$(wait_quiet)
  start_server "$data" "$WORK/server-$name.log" "$@"
  local pid=$SPID
  wrk -t"$threads" -c"$conns" -d"${WARM}s" --timeout 10s -s "$HERE/lua/users.lua" "$BASE" -- "$targets" "$mode" >/dev/null
  local c0 c1 tck; tck=$(getconf CLK_TCK); c0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  wrk -t"$threads" -c"$conns" -d"${DUR}s" --timeout 10s --latency -s "$HERE/lua/users.lua" "$BASE" -- "$targets" "$mode" >"$WORK/wrk-$name.txt"
  c1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  local hwm; hwm=$(awk '$1=="VmHWM:" {print $2}' "/proc/$pid/status")
  stop_server
  local j; j=$(sed -n 's/^WRKJSON //p' "$WORK/wrk-$name.txt")
  [ -n "$j" ] || { cat "$WORK/wrk-$name.txt" >&2; exit 1; }
  python3 - "$j" "$name" "$conns" "$c0" "$c1" "$tck" "$hwm" "$bg" >>"$RESULTS" <<'PY'
import json, sys
a = sys.argv
d = json.loads(a[1])
cpu = (int(a[5]) - int(a[4])) / int(a[6])
d.update(run=a[2], conns=int(a[3]), server_cpu_ms_per_req=round(1000 * cpu / max(d["requests"], 1), 4),
         vmhwm_kb=int(a[7]), bg_busy_pct=int(a[8]))
print(json.dumps(d))
PY
  tail -1 "$RESULTS"
}

if [[ " $PARTS " == *" hot "* ]]; then
  DATA=$WORK/data-hot
  fresh_db "$DATA"
  python3 "$HERE/tools.py" seed "$DATA/metadata.db" "$WORK/keys" "$USERS" "$PER_USER" "$WORK/targets.txt"
  measure get_id "$DATA" "$WORK/targets.txt" id "$CONNS" IMAGE_SERVICE_LOG=info
  measure list "$DATA" "$WORK/targets.txt" list "$CONNS" IMAGE_SERVICE_LOG=info
fi

# Incident controls in force (docs/benchmarks.md, Incident controls): the
# same reads with no control, then with a block of another user, a revocation
# for another user and uploads paused, alternated to even out drift. The
# controls are read from a per-replica copy, never from the store per request.
if [[ " $PARTS " == *" incident "* ]]; then
  DATA=$WORK/data-incident
  fresh_db "$DATA"
  python3 "$HERE/tools.py" seed "$DATA/metadata.db" "$WORK/keys" "$USERS" "$PER_USER" "$WORK/targets.txt"
  # The same data with controls in force: a block and a revocation of
  # other users, uploads paused.
  CONTROLLED=$WORK/data-incident-controlled
  cp -a "$DATA" "$CONTROLLED"
  incident() { IMAGE_SERVICE_DATA_DIR="$CONTROLLED" "$BIN" incident "$@" >/dev/null; }
  incident block bench-someone-else --reason bench
  incident revoke-tokens --before 2000-01-01T00:00:00Z --sub bench-another --reason bench
  incident uploads off --reason bench
  for round in $(seq 1 "${ROUNDS:-3}"); do
    measure "get_id_no_controls_$round" "$DATA" "$WORK/targets.txt" id "$CONNS" IMAGE_SERVICE_LOG=info
    measure "get_id_controls_$round" "$CONTROLLED" "$WORK/targets.txt" id "$CONNS" IMAGE_SERVICE_LOG=info
  done
fi

if [[ " $PARTS " == *" scale "* ]]; then
  for n in $SCALE; do
    DATA=$WORK/data-$n
    fresh_db "$DATA"
    python3 "$HERE/tools.py" seed-one "$DATA/metadata.db" "$WORK/keys" bench-big "$n" "$WORK/targets-$n.txt"
    # One user: the per-user read limit (1000/s) would be what is measured, so it is off here.
    measure "list_${n}_c$CONNS" "$DATA" "$WORK/targets-$n.txt" list "$CONNS" IMAGE_SERVICE_LIMIT_READS_PER_SEC=0
    measure "list_${n}_c1" "$DATA" "$WORK/targets-$n.txt" list 1 IMAGE_SERVICE_LIMIT_READS_PER_SEC=0
  done
fi

python3 - "$RESULTS" <<'PY'
import json, sys
print("| run | conns | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | socket errors | server CPU ms/req | peak RSS MiB | bg busy % |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    d = json.loads(line)
    errs = d["err_connect"] + d["err_read"] + d["err_write"] + d["err_timeout"]
    print(f'| {d["run"]} | {d["conns"]} | {d["rps"]:.0f} | {d["p50_ms"]:.2f} | {d["p90_ms"]:.2f} | {d["p99_ms"]:.2f} '
          f'| {d["max_ms"]:.1f} | {d["err_status"]} | {errs} | {d["server_cpu_ms_per_req"]:.3f} | {d["vmhwm_kb"] / 1024:.0f} | {d["bg_busy_pct"]} |')
PY
