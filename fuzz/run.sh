#!/usr/bin/env bash
# Runs one fuzz target for a bounded time (not part of CI; docs/fuzzing.md).
#
# Usage: fuzz/run.sh TARGET [SECONDS]     TARGET: process | multipart | jwt
# Seeds come from the repo (fuzz/corpus/TARGET; for process, the pipeline's
# fixtures and hostile files); what the fuzzer learns goes to
# fuzz/corpus-work/TARGET (ignored by git), crashes to fuzz/artifacts/TARGET.
set -euo pipefail
cd "$(dirname "$0")"

TARGET=${1:?usage: fuzz/run.sh process|multipart|jwt [SECONDS]}
SECONDS_TO_RUN=${2:-600}
if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi

seeds=()
case "$TARGET" in
    process) seeds=(../crates/pipeline/tests/data/fixtures ../crates/pipeline/tests/data/hostile) ;;
    multipart | jwt) seeds=("corpus/$TARGET") ;;
    *) echo "unknown target $TARGET" >&2; exit 2 ;;
esac
mkdir -p "corpus-work/$TARGET"

# The toolchain here is stable; RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z sanitizer flags.
RUSTC_BOOTSTRAP=1 cargo fuzz run "$TARGET" "corpus-work/$TARGET" "${seeds[@]}" -- \
    -max_total_time="$SECONDS_TO_RUN" -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1
