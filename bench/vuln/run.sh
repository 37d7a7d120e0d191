#!/bin/sh
# NVD-sized benchmark of Ward's vulnerability stage: generates (not commits)
# a corpus of WARD_BENCH_CVES CVE records in the NVD API 2.0 bulk layout
# (yearly .json.gz files), imports it into SQLite with `feeds` (one
# transaction per file), builds the matcher from the database and matches
# WARD_BENCH_DEVICES inventory devices. Prints import time, index time,
# matching time and peak memory.
#
#   bench/vuln/run.sh                # 250k CVEs, 100k devices
#   WARD_BENCH_CVES=50000 bench/vuln/run.sh
set -eu
cd "$(dirname "$0")/../.."
export WARD_BENCH_CVES="${WARD_BENCH_CVES:-250000}"
export WARD_BENCH_DEVICES="${WARD_BENCH_DEVICES:-100000}"
exec go test ./internal/feeds/ -run '^$' -bench '^BenchmarkNVDCorpus$' -benchtime 1x -timeout 60m
