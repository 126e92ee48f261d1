#!/usr/bin/env bash
# Load test of the Node stack's hot reads, driven like bench/api-load.sh drives
# the service: wrk with bench/lua/users.lua, 64 connections on the same 2 cores.
#
#   cd bench/reference && npm ci          # once
#   bench/reference/node-stack/load.sh    # 3 rounds of GET /images/{id} and GET /images?limit=20
#   RUNS=1 DUR=5 SEED_N=20 bench/reference/node-stack/load.sh   # a quick look
#
# One user, alice, gets SEED_N images through POST /images (title, description,
# alt text, 3 tags each); a smoke check of the shapes follows. Every measured
# run then starts a fresh server over a fresh copy of that data, waits until
# other processes use less than QUIET_PCT % of the machine, warms up for WARM
# seconds and measures for DUR. A run during which other processes took QUIET_PCT %
# or more is repeated (RETRIES times at most). Prints the medians over rounds.
#
# Knobs (environment): RUNS (3), DUR (20), WARM (3), CONNS (64), THREADS (2),
# SEED_N (200), PORT (18080), QUIET_PCT (10), QUIET_WAIT (s, 900), RETRIES (2).
# Scratch: $NODE_STACK_WORK (bench/reference/work/node-stack).
# Needs: node 20, wrk, curl, python3, GNU time.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REFERENCE=$(dirname "$HERE")
USERS_LUA=$(dirname "$REFERENCE")/lua/users.lua
WORK=${NODE_STACK_WORK:-$REFERENCE/work/node-stack}
RUNS=${RUNS:-3}
DUR=${DUR:-20}
WARM=${WARM:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SEED_N=${SEED_N:-200}
PORT=${PORT:-18080}
QUIET_PCT=${QUIET_PCT:-10}
QUIET_WAIT=${QUIET_WAIT:-900}
RETRIES=${RETRIES:-2}
BASE=http://127.0.0.1:$PORT

for tool in node wrk curl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install -y wrk curl time; Node 20)" >&2; exit 1; }
done
[ -d "$REFERENCE/node_modules" ] || { echo "run 'npm ci' in $REFERENCE first" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK"
export IMAGE_SERVICE_LISTEN=127.0.0.1:$PORT
export IMAGE_SERVICE_AUTH_ISSUER=https://cognito-idp.us-east-1.amazonaws.com/us-east-1_REFBENCH
export IMAGE_SERVICE_AUTH_AUDIENCE=ref-client-id
export IMAGE_SERVICE_AUTH_JWKS_FILE=$WORK/keys/jwks.json
client() { node "$HERE/client.js" "$@"; }
client keys "$WORK/keys"

SPID=
start_server() { # data dir, log file
  IMAGE_SERVICE_DATA_DIR=$1 node "$HERE/server.js" >"$2" 2>&1 &
  SPID=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && return 0
    kill -0 "$SPID" 2>/dev/null || { echo "the server stopped; see $2" >&2; tail -5 "$2" >&2; exit 1; }
    sleep 0.1
  done
  echo "the server did not answer /healthz" >&2
  exit 1
}
stop_server() {
  if [ -n "$SPID" ]; then kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; SPID=; fi
}
trap stop_server EXIT

# --- one user's images, uploaded through the API, and the shapes checked
start_server "$WORK/data.seed" "$WORK/seed.log"
ALICE=$(client token "$WORK/keys" alice 14400)
client seed "$BASE" "$ALICE" "$SEED_N"
client smoke "$BASE" "$ALICE" "$(client token "$WORK/keys" bob 600)" "$WORK/keys"
client targets "$BASE" "$ALICE" "$WORK/targets.txt"
stop_server

busy_ticks() { awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit }' /proc/stat; }
busy_pct() { # whole-machine busy % over $1 seconds
  local b0 t0 b1 t1
  read -r b0 t0 < <(busy_ticks)
  sleep "$1"
  read -r b1 t1 < <(busy_ticks)
  echo $((100 * (b1 - b0) / (t1 - t0 > 0 ? t1 - t0 : 1)))
}
wait_quiet() { # prints how busy the machine was when the wait ended
  local waited=0 busy
  busy=$(busy_pct 2)
  while [ "$busy" -ge "$QUIET_PCT" ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
    sleep 8; waited=$((waited + 10)); busy=$(busy_pct 2)
  done
  echo "$busy"
}

RESULTS=$WORK/results.jsonl
: >"$RESULTS"
TCK=$(getconf CLK_TCK)
measure() { # scenario (id|list) round attempt; appends a JSON line, prints it
  local mode=$1 name="$1-$2-$3"
  local background; background=$(wait_quiet)
  rm -rf "$WORK/data"; cp -a "$WORK/data.seed" "$WORK/data"
  start_server "$WORK/data" "$WORK/server-$name.log"
  local wrk_args=(-t"$THREADS" -c"$CONNS" --timeout 10s -s "$USERS_LUA" "$BASE" -- "$WORK/targets.txt" "$mode")
  wrk -d"${WARM}s" "${wrk_args[@]}" >/dev/null
  local server0 server1 machine0 machine1
  server0=$(awk '{ print $14 + $15 }' "/proc/$SPID/stat")
  machine0=$(busy_ticks)
  /usr/bin/time -o "$WORK/wrk-cpu" -f '%U %S' wrk -d"${DUR}s" --latency "${wrk_args[@]}" >"$WORK/wrk-$name.txt"
  machine1=$(busy_ticks)
  server1=$(awk '{ print $14 + $15 }' "/proc/$SPID/stat")
  local peak; peak=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SPID/status")
  stop_server
  local wrk_json; wrk_json=$(sed -n 's/^WRKJSON //p' "$WORK/wrk-$name.txt")
  [ -n "$wrk_json" ] || { cat "$WORK/wrk-$name.txt" >&2; exit 1; }
  python3 - "$wrk_json" "$mode" "$2" "$3" "$server0" "$server1" "$machine0" "$machine1" \
    "$(cat "$WORK/wrk-cpu")" "$TCK" "$peak" "$background" "$QUIET_PCT" >>"$RESULTS" <<'PY'
import json, sys
(_, wrk_json, mode, round_no, attempt, server0, server1, machine0, machine1, wrk_cpu, tck, peak, background,
 quiet) = sys.argv
run = json.loads(wrk_json)
tck = int(tck)
server_s = (float(server1) - float(server0)) / tck
(busy0, total0), (busy1, total1) = (map(int, machine0.split())), (map(int, machine1.split()))
wrk_s = sum(map(float, wrk_cpu.split()))
others_pct = 100 * max(0.0, (busy1 - busy0) / tck - server_s - wrk_s) / ((total1 - total0) / tck)
run.update(scenario=mode, round=int(round_no), attempt=int(attempt), vmhwm_kb=int(peak),
           server_cpu_ms_per_req=round(1000 * server_s / max(run["requests"], 1), 4),
           bg_busy_pct=int(background), other_cpu_pct=round(others_pct, 1),
           disturbed=others_pct >= float(quiet))
print(json.dumps(run))
PY
  tail -1 "$RESULTS"
}

for round in $(seq 1 "$RUNS"); do
  for mode in id list; do
    attempt=1
    measure "$mode" "$round" "$attempt"
    while tail -1 "$RESULTS" | grep -q '"disturbed": true' && [ "$attempt" -le "$RETRIES" ]; do
      echo "  other processes used the machine during that run; repeating it" >&2
      attempt=$((attempt + 1))
      measure "$mode" "$round" "$attempt"
    done
  done
done

# Medians over rounds, each column on its own, from each round's last attempt
# (the undisturbed one, or the last try when none was).
python3 - "$RESULTS" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
last = {}
for run in runs:
    last[(run["scenario"], run["round"])] = run
print("| route | rounds | req/s | p50 ms | p90 ms | p99 ms | peak RSS MiB | server CPU ms/req | errors | disturbed |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for mode, route in (("id", "GET /images/{id}"), ("list", "GET /images?limit=20")):
    rounds = [run for (scenario, _), run in sorted(last.items()) if scenario == mode]
    if not rounds:
        continue
    median = lambda key: statistics.median(run[key] for run in rounds)
    errors = sum(run[k] for run in rounds for k in ("err_status", "err_connect", "err_read", "err_write", "err_timeout"))
    print(f'| `{route}` | {len(rounds)} | {median("rps"):.0f} | {median("p50_ms"):.1f} | {median("p90_ms"):.1f} '
          f'| {median("p99_ms"):.1f} | {median("vmhwm_kb") / 1024:.0f} | {median("server_cpu_ms_per_req"):.3f} '
          f'| {errors} | {sum(run["disturbed"] for run in rounds)} |')
PY
echo "raw results: $RESULTS"
