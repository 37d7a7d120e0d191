#!/usr/bin/env bash
# Instructions `ward observe` executes on a mix, counted by valgrind's
# callgrind: the same total for the same binary and input whatever else the
# machine is doing, so small changes can be compared on a noisy shared VM.
# The garbage collector is off for the count (its timing varies the total),
# so allocation costs show only as the allocations themselves.
#   bash bench/instr.sh OLD_REV [NEW_REV] [PACKETS]   (NEW_REV defaults to the work tree, PACKETS to 200000)
# Builds both revisions, makes bench/out/mix-PACKETS.pcap from the shared
# captures and the simulated hospital (as bench/sensor.sh does), runs each
# build on one core under callgrind, and prints instructions per packet and
# the ratio. Needs valgrind (apt-get install valgrind) and ../shared/data.
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$1; NEW=${2:-}; N=${3:-200000}
DATA=${WARD_SHARED_DATA:-../shared/data}
OUT=bench/out
mkdir -p "$OUT"
export CGO_ENABLED=0
command -v valgrind >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
tmp=$(mktemp -d); trap 'git worktree remove --force "$tmp/old" >/dev/null 2>&1 || true; git worktree remove --force "$tmp/new" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
build() { # rev dir out
  if [[ -z $1 ]]; then go build -o "$3" ./cmd/ward; return; fi
  git worktree add -q --detach "$2" "$1"
  (cd "$2" && go build -o "$3" ./cmd/ward)
}
build "$OLD" "$tmp/old" "$tmp/ward-old"
build "$NEW" "$tmp/new" "$tmp/ward-new"
go build -o "$OUT/benchtool" ./bench/benchtool
MIX=$OUT/mix-$N.pcap
if [[ ! -f $MIX ]]; then
  "$tmp/ward-new" simulate --devices 300 --hours 1 --seed 7 --out "$tmp/sim.pcap" --truth "$tmp/sim.json" >/dev/null 2>&1
  "$OUT/benchtool" mix -out "$MIX" -packets "$N" $(ls "$DATA"/pcaps/{tcpdump,arkime,ndpi,dcmtk,hl7}/*.pcap 2>/dev/null) "$tmp/sim.pcap" 2>/dev/null
fi
count() { # binary: instructions. Go's asynchronous preemption signals upset callgrind; the
  # collector is off because when it runs depends on timing, and the count with it varies by a few percent.
  GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$1" observe "$MIX" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
old=$(count "$tmp/ward-old"); new=$(count "$tmp/ward-new")
echo "mix: $MIX ($N packets)"
printf 'old %-12s %14d instructions %8.0f per packet\n' "${OLD:0:12}" "$old" "$(echo "$old / $N" | bc -l)"
printf 'new %-12s %14d instructions %8.0f per packet\n' "${NEW:-worktree}" "$new" "$(echo "$new / $N" | bc -l)"
printf 'new / old: %.3f\n' "$(echo "$new / $old" | bc -l)"
