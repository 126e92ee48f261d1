#!/usr/bin/env bash
# Makes sure the services the tests talk to are up: PostgreSQL and Redis (the
# machine normally runs both; started here if they are not), dynalite (a
# DynamoDB API, from the npm registry) and s3s-fs (an S3 server, from
# crates.io). Installs are cached under ~/.cache/image-service; from nothing
# they take a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

# DynamoDB: in memory, fresh per start; the suite makes a table per case.
bash crates/metadata/scripts/start-dynalite.sh "${DYNALITE_PORT:-8000}"

# S3: the blob tests start their own s3s-fs per run (scripts/start-s3.sh);
# installing it here keeps the first test from waiting on a build.
S3_DIR=$(mktemp -d)
bash crates/blobs/scripts/start-s3.sh "$S3_DIR" "" $$ >/dev/null

# OpenID Connect: the interop tests start their own provider per test
# (tests/api/support/identity_provider.rs); here its pinned package is
# installed from the lock file (a second or two from npm's cache).
echo "installing the test OpenID Connect provider (npm ci)"
(cd crates/server/tests/identity-provider && npm ci --no-audit --no-fund --loglevel=error)
# axe-core, which the browser tests inject to scan each page for accessibility.
(cd crates/server/tests/browser-tools && npm ci --no-audit --no-fund --loglevel=error)
