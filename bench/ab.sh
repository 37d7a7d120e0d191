#!/usr/bin/env bash
# A/B of `ward observe` between two git revisions on the bench mix:
#   bash bench/ab.sh OLD_REV [NEW_REV] [RUNS]     (NEW_REV defaults to the work tree)
# Builds both, then runs them interleaved RUNS times (default 7) on
# bench/out/mix.pcap (make it first with bench/sensor.sh) and prints the
# minimum and median wall and CPU seconds of each. Interleaving spreads a
# noisy machine's slow spells over both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1; NEW=${2:-}; RUNS=${3:-7}
MIX=bench/out/mix.pcap
[[ -f $MIX ]] || { echo "no $MIX: run bench/sensor.sh first" >&2; exit 1; }
tmp=$(mktemp -d); trap 'git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
export CGO_ENABLED=0
git worktree add -q --detach "$tmp/old" "$OLD"
(cd "$tmp/old" && go build -o "$tmp/ward-old" ./cmd/ward)
if [[ -n $NEW ]]; then
  git worktree add -q --detach "$tmp/new" "$NEW"
  (cd "$tmp/new" && go build -o "$tmp/ward-new" ./cmd/ward)
  git worktree remove --force "$tmp/new"
else
  go build -o "$tmp/ward-new" ./cmd/ward
fi
for _ in $(seq "$RUNS"); do
  for b in old new; do
    /usr/bin/time -f "$b %e %U %S" "$tmp/ward-$b" observe "$MIX" 2>&1 >/dev/null | tail -1
  done
done | python3 -c '
import sys, statistics, collections
w, c = collections.defaultdict(list), collections.defaultdict(list)
for line in sys.stdin:
    k, wall, user, sys_ = line.split()
    w[k].append(float(wall)); c[k].append(float(user) + float(sys_))
for k in ("old", "new"):
    print(f"{k}: wall min {min(w[k]):.2f} median {statistics.median(w[k]):.2f}   cpu min {min(c[k]):.2f} median {statistics.median(c[k]):.2f}")'
