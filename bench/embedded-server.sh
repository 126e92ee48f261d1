# Sourced by the upload benchmarks: builds the release binary if missing and
# starts it on the embedded store in a temporary folder (removed at exit),
# development tokens, upload rate limit off. Expects PORT; sets ROOT, BIN,
# DATA and SERVER.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$HOME/.cache/image-service/target}
BIN=${BIN:-$TARGET/release/image-service}
[[ -x $BIN ]] || (cd "$ROOT" && CARGO_TARGET_DIR=$TARGET cargo build --release --locked)

DATA=$(mktemp -d)
export IMAGE_SERVICE_DATA_DIR=$DATA IMAGE_SERVICE_LISTEN=127.0.0.1:$PORT IMAGE_SERVICE_ADMIN_LISTEN=127.0.0.1:0
export IMAGE_SERVICE_LIMIT_UPLOADS_PER_MIN=0 IMAGE_SERVICE_LOG=warn
"$BIN" >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.1
done
