#!/usr/bin/env bash
# Supply-chain checks with cargo deny (policy in deny.toml, docs/dependencies.md):
#  1. licences, duplicate versions, wildcards and sources, offline;
#  2. a self-test: against a one-entry fixture advisory database naming a crate
#     we use, the policy must fail, so a known vulnerability cannot slip through;
#  3. the RustSec advisory database. It lives on GitHub; where GitHub cannot be
#     reached, an earlier copy is used, and with none this step says so loudly
#     and is skipped, unless IMAGE_SERVICE_CI_ADVISORIES_REQUIRED=1 makes it fatal.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=0.20.2
ROOT=${CARGO_DENY_INSTALL_ROOT:-$HOME/.cache/image-service/cargo-deny-$VERSION}
if [ ! -x "$ROOT/bin/cargo-deny" ]; then
    echo "deny: installing cargo-deny $VERSION into $ROOT (once, about 3 minutes)" >&2
    CARGO_TARGET_DIR="$ROOT-build" cargo install "cargo-deny@$VERSION" --locked --root "$ROOT" >&2
fi
export PATH="$ROOT/bin:$PATH"

echo "-- cargo deny: bans, licenses, sources"
cargo deny --locked check bans licenses sources

echo "-- cargo deny: the policy refuses a known vulnerability (fixture database)"
FIXTURE=$(mktemp -d)
trap 'rm -rf "$FIXTURE"' EXIT
# cargo deny keeps a database for URL u at <db-path>/<last segment>-<hash of u>.
DB="$FIXTURE/dbs/fixture-db-6b46c7a368b5853b"
mkdir -p "$DB/crates/multer"
cp .ci/deny-fixture/RUSTSEC-2099-0001.md "$DB/crates/multer/"
git -C "$DB" init -q
git -C "$DB" add .
git -C "$DB" -c user.email=ci@example.invalid -c user.name=ci commit -qm fixture
sed "s|^\[advisories\]|[advisories]\ndb-urls = [\"https://advisories.invalid/fixture-db\"]\ndb-path = \"$FIXTURE/dbs\"|" \
    deny.toml >"$FIXTURE/deny.toml"
if cargo deny --offline --locked --config "$FIXTURE/deny.toml" check advisories >"$FIXTURE/out" 2>&1; then
    cat "$FIXTURE/out"
    echo "deny: the policy let a known vulnerability through" >&2
    exit 1
fi
if ! grep -q "RUSTSEC-2099-0001" "$FIXTURE/out"; then
    cat "$FIXTURE/out"
    echo "deny: the fixture check failed, but not on the fixture advisory" >&2
    exit 1
fi
echo "refused RUSTSEC-2099-0001 as it should"

echo "-- cargo deny: RustSec advisories"
if timeout 120 cargo deny fetch db >/dev/null 2>&1 && cargo deny --offline --locked check advisories; then
    exit 0
fi
if compgen -G "${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/advisory-db-*/crates" >/dev/null; then
    echo "deny: advisory database unreachable; checking against the copy fetched earlier" >&2
    cargo deny --offline --locked check advisories
    exit 0
fi
echo "deny: WARNING: the RustSec advisory database (github.com/RustSec/advisory-db) cannot be" >&2
echo "deny: fetched from this machine and no earlier copy exists: advisories NOT checked" >&2
if [ "${IMAGE_SERVICE_CI_ADVISORIES_REQUIRED:-0}" = 1 ]; then
    exit 1
fi
