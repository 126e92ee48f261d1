#!/usr/bin/env bash
# Starts dynalite (an in-memory DynamoDB) on 127.0.0.1:PORT for the metadata
# conformance suite, installing it from the npm registry first if missing.
# Usage: start-dynalite.sh [PORT]   (default 8000; DYNALITE_DIR overrides the install folder)
# Then: IMAGE_SERVICE_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT cargo test -p metadata
set -euo pipefail

port="${1:-8000}"
dir="${DYNALITE_DIR:-$HOME/.cache/image-service/dynalite}"

if [ ! -f "$dir/node_modules/dynalite/cli.js" ]; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent dynalite@4 >&2
fi

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "something already listens on 127.0.0.1:$port; assuming dynalite" >&2
    exit 0
fi

# Without --path dynalite keeps everything in memory: each start is empty.
# Tables become ACTIVE at once, so migrations need not wait.
nohup node "$dir/node_modules/dynalite/cli.js" --port "$port" --host 127.0.0.1 \
    --createTableMs 0 --deleteTableMs 0 --updateTableMs 0 \
    >"$dir/dynalite-$port.log" 2>&1 &
echo $! >"$dir/dynalite-$port.pid"

for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "dynalite listening on 127.0.0.1:$port (pid $(cat "$dir/dynalite-$port.pid"))" >&2
        exit 0
    fi
    sleep 0.2
done
echo "dynalite did not start; see $dir/dynalite-$port.log" >&2
exit 1
