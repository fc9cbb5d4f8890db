#!/usr/bin/env bash
# Redis 7.0.15's own unit tests (issue 12) against bin/redis-server (Vigil), through the runner in
# shared/ (REDIS_TESTS, default ../shared/redis-tests): every unit listed in
# testdata/redis-tests.units must pass whole, with the tests named in testdata/redis-tests.skip
# skipped (each needs a command family Vigil does not have yet; the file says which).
# Needs tclsh8.6, redis-cli and redis-benchmark; without them it skips with a message unless
# VIGIL_REQUIRE_REDIS=1 (as in CI).
set -uo pipefail
cd "$(dirname "$0")/.."
suite=${REDIS_TESTS:-../shared/redis-tests}
missing=""
[ -x "$suite/run.sh" ] || missing="$suite/run.sh"
for b in tclsh8.6 redis-cli redis-benchmark; do command -v $b >/dev/null || missing="$missing $b"; done
if [ -n "$missing" ]; then
	echo "redis-unit-suite: missing$missing"
	[ "${VIGIL_REQUIRE_REDIS:-0}" = 1 ] && exit 1
	echo "redis-unit-suite: skipped (VIGIL_REQUIRE_REDIS=1 makes this a failure)"; exit 0
fi
mapfile -t units < <(grep -v '^#' testdata/redis-tests.units | sed '/^$/d')
SKIPFILE="$PWD/testdata/redis-tests.skip" "$suite/run.sh" bin/redis-server "${units[@]}"
