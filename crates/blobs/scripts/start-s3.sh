#!/usr/bin/env bash
# Starts a throwaway S3-compatible server (s3s-fs, SigV4) on loopback for the blob tests.
#
# Usage: start-s3.sh DATA_DIR [PORT] [WATCH_PID]
#   Installs s3s-fs into /root/.cache if missing, serves DATA_DIR/buckets with
#   bucket "image-service-test", and prints the endpoint (http://127.0.0.1:PORT)
#   on stdout once it accepts connections. PORT defaults to a free one. With
#   WATCH_PID, the server is stopped and DATA_DIR removed when that process exits.
# Fixed test credentials (never use them elsewhere):
#   AWS_ACCESS_KEY_ID=image-service-test AWS_SECRET_ACCESS_KEY=image-service-test-secret
set -euo pipefail

VERSION=0.14.1
INSTALL_ROOT=${S3S_FS_INSTALL_ROOT:-/root/.cache/image-service/s3s-fs-$VERSION}
BIN="$INSTALL_ROOT/bin/s3s-fs"
ACCESS_KEY=image-service-test
SECRET_KEY=image-service-test-secret
BUCKET=image-service-test

DATA_DIR=${1:?usage: start-s3.sh DATA_DIR [PORT] [WATCH_PID]}
PORT=${2:-}
WATCH_PID=${3:-}

if [ ! -x "$BIN" ]; then
    echo "start-s3: installing s3s-fs $VERSION into $INSTALL_ROOT (once)" >&2
    CARGO_TARGET_DIR="$INSTALL_ROOT-build" \
        cargo install "s3s-fs@$VERSION" --locked --features binary --root "$INSTALL_ROOT" >&2
fi

if [ -z "$PORT" ]; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

mkdir -p "$DATA_DIR/buckets/$BUCKET"
"$BIN" --host 127.0.0.1 --port "$PORT" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" \
    "$DATA_DIR/buckets" >"$DATA_DIR/s3s-fs.log" 2>&1 </dev/null &
SERVER_PID=$!
echo "$SERVER_PID" >"$DATA_DIR/s3s-fs.pid"

if [ -n "$WATCH_PID" ]; then
    (
        while kill -0 "$WATCH_PID" 2>/dev/null; do sleep 1; done
        kill "$SERVER_PID" 2>/dev/null || true
        sleep 0.5
        rm -rf "$DATA_DIR"
    ) </dev/null >/dev/null 2>&1 &
fi

for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        echo "http://127.0.0.1:$PORT"
        exit 0
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "start-s3: s3s-fs exited; log follows" >&2
        cat "$DATA_DIR/s3s-fs.log" >&2
        exit 1
    fi
    sleep 0.1
done
echo "start-s3: s3s-fs did not start listening on port $PORT" >&2
kill "$SERVER_PID" 2>/dev/null || true
exit 1
