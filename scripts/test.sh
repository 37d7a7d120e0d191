#!/usr/bin/env bash
# Ward's test suite: vet, the unit/integration tests, then a short run of
# every fuzz target. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=0
# A count, not a duration: with a duration the fuzzer can end on "context
# deadline exceeded" while a slow input is in flight, which is no finding.
FUZZTIME=${FUZZTIME:-10000x}

unformatted=$(gofmt -l cmd internal bench)
if [[ -n $unformatted ]]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi
go vet ./...
go test -count=1 -timeout 20m ./...

# Every fuzz target, briefly: crashers land in testdata/fuzz and fail the run.
fails=0
while IFS= read -r f; do
  dir=$(dirname "$f")
  for t in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$f" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    if ! go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime 200x "./$dir" >/tmp/ward-fuzz.log 2>&1; then
      echo "fuzz $dir $t FAILED"; cat /tmp/ward-fuzz.log; fails=$((fails+1))
    fi
  done
done < <(grep -rlE '^func Fuzz[A-Za-z0-9_]+\(' --include='*_test.go' internal cmd 2>/dev/null | sort)
if ((fails)); then echo "$fails fuzz target(s) failed"; exit 1; fi
echo "fuzz targets ok"
