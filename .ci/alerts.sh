#!/usr/bin/env bash
# Checks and unit-tests the Prometheus alert rules (deploy/prometheus/):
# `promtool check rules`, `promtool test rules`, and that every alert has a
# runbook section in docs/incident-response.md and test cases where it fires
# and where it does not. Installs promtool from Debian's `prometheus` package
# when it is missing (as root, without starting the Prometheus server).
set -euo pipefail
cd "$(dirname "$0")/.."

RULES=deploy/prometheus/alerts.yml
TESTS=deploy/prometheus/alerts_test.yml
RUNBOOK=docs/incident-response.md

install_promtool() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "alerts: promtool is missing; install Debian's prometheus package (as root)" >&2
    exit 1
  fi
  echo "installing promtool (Debian package prometheus)"
  # The package would start a Prometheus server on :9090 (the service's
  # default admin port): forbid starting services while it installs, unless
  # the machine already has a policy for that.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
  fi
  local apt=(apt-get -y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef
    -o Dpkg::Options::=--force-confold install --no-install-recommends prometheus)
  local status=0
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" >/tmp/alerts-apt.log 2>&1 || {
    # A fresh machine may have no package lists, or stale ones.
    DEBIAN_FRONTEND=noninteractive apt-get -q update >>/tmp/alerts-apt.log 2>&1 &&
      DEBIAN_FRONTEND=noninteractive "${apt[@]}" >>/tmp/alerts-apt.log 2>&1
  } || status=$?
  if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi
  if [ "$status" -ne 0 ] || ! command -v promtool >/dev/null; then
    tail -n 30 /tmp/alerts-apt.log >&2
    echo "alerts: installing prometheus failed" >&2
    exit 1
  fi
}

command -v promtool >/dev/null || install_promtool

promtool check rules "$RULES"
promtool test rules "$TESTS"

# Every alert: a runbook_url whose anchor is a heading of the runbook, and
# test cases where it fires and where it does not.
anchors=$(grep -E '^#{1,6} ' "$RUNBOOK" |
  sed -E 's/^#+ +//; s/[A-Z]/\L&/g; s/[^a-z0-9 _-]//g; s/ /-/g')
alerts=$(sed -nE 's/^ *- alert: *([A-Za-z0-9_]+) *$/\1/p' "$RULES")
problems=0
for alert in $alerts; do
  url=$(awk -v a="$alert" '
    $0 ~ "^ *- alert: *" a " *$" { found = 1; next }
    found && /^ *- (alert|record):/ { exit }
    found && /runbook_url:/ { print; exit }' "$RULES" |
    sed -E 's/.*runbook_url: *"?([^"]*)"?.*/\1/')
  anchor=${url##*#}
  if [ -z "$url" ] || [ "$anchor" = "$url" ]; then
    echo "alerts: $alert has no runbook_url with an anchor" >&2
    problems=$((problems + 1))
  elif ! grep -qxF "$anchor" <<<"$anchors"; then
    echo "alerts: $alert: no heading in $RUNBOOK has the anchor #$anchor" >&2
    problems=$((problems + 1))
  fi
done
# Per alert name: does some case expect it firing, and some expect none?
cases=$(awk '
  /alertname:/ {
    line = $0; sub(/.*alertname: */, "", line); sub(/[ ,}].*/, "", line); cur = line
  }
  /exp_alerts: *\[\]/ { print cur " quiet"; next }
  /exp_alerts: *$/ { print cur " fires" }' "$TESTS" | sort -u)
for alert in $alerts; do
  for kind in fires quiet; do
    if ! grep -qxF "$alert $kind" <<<"$cases"; then
      echo "alerts: $TESTS has no case where $alert $kind" >&2
      problems=$((problems + 1))
    fi
  done
done
if [ "$problems" -ne 0 ]; then
  echo "alerts: $problems problem(s) above" >&2
  exit 1
fi

rules=$(grep -cE '^ *- (alert|record):' "$RULES")
count=$(wc -w <<<"$alerts")
groups=$(grep -cE '^  - interval:' "$TESTS")
echo "alerts: promtool $(promtool --version 2>&1 | sed -nE '1s/.*version ([^ ]+).*/\1/p'): $rules rules valid, $count alerts each with a runbook section, $groups test scenarios pass (every alert seen firing and quiet)"
