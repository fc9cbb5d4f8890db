#!/usr/bin/env bash
# Regenerates testdata/rdb/*.rdb and *.golden with the real redis-server 7.0 on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
redis-server --version
go test ./integration/ -run TestGenerateRDBFixtures -count=1 -update-fixtures -v | tail -3
ls -l testdata/rdb
