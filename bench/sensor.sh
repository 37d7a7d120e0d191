#!/usr/bin/env bash
# Sensor throughput, Ward against its peers on the same capture in one run.
#   bash bench/sensor.sh [PACKETS]     (default 2,000,000; needs ../shared/data)
# Builds a mixed capture from the shared real captures (and a simulated
# hospital), then times: a bare read, Ward's decoding without dissectors,
# Ward's dissection without output, ward observe (on all cores and on one), tshark extracting the
# same fields, p0f and ndpiReader. Prints packets/s, Gbit/s and the ratio of
# each rate to Ward's. Installs tshark, p0f and ndpiReader from Debian if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
REPEAT=${REPEAT:-3}
DATA=${WARD_SHARED_DATA:-../shared/data}
OUT=bench/out
mkdir -p "$OUT"
export CGO_ENABLED=0

missing=()
command -v tshark >/dev/null || missing+=(tshark)
command -v p0f >/dev/null || missing+=(p0f)
command -v ndpiReader >/dev/null || missing+=(libndpi-bin)
if ((${#missing[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

go build -o "$OUT/ward" ./cmd/ward
go build -o "$OUT/benchtool" ./bench/benchtool
inputs=$(ls "$DATA"/pcaps/{tcpdump,arkime,ndpi,dcmtk,hl7}/*.pcap 2>/dev/null)
if "$OUT/ward" simulate --help >/dev/null 2>&1; then
  "$OUT/ward" simulate --devices 300 --hours 1 --seed 7 --out "$OUT/sim.pcap" --truth "$OUT/sim.truth.json" >/dev/null
  inputs="$inputs $OUT/sim.pcap"
fi
MIX=$OUT/mix.pcap
"$OUT/benchtool" mix -out "$MIX" -packets "$N" $inputs 2>/dev/null
BYTES=$(stat -c %s "$MIX")
echo "capture: $MIX, $N packets, $BYTES bytes, $(nproc) cores; fastest of $REPEAT runs each"

# Wall seconds of the fastest of REPEAT runs (default 3) of each tool; that run's CPU seconds
# (user+sys) go to $OUT/cpu.<tool>, so a busy machine can be seen for what it is and per-core rates
# computed. The tools take turns within each round (read, ward, tshark, p0f, ndpiReader, then again),
# so that a slow spell of a shared machine falls on all of them, not on whichever ran then.
TIMEFORMAT='%R %U %S'
FIELDS="-e eth.src -e ip.src -e dhcp.option.hostname -e dhcp.option.vendor_class_id -e dns.qry.name -e http.user_agent -e http.server -e tls.handshake.extensions_server_name -e tls.handshake.ja3 -e lldp.tlv.system.name -e cdp.deviceid -e snmp.value.octets -e dicom.assoc.ae.calling -e hl7.message.type -e smb.native_os -e tcp.window_size_value"
declare -A CMD T
CMD[read]="$OUT/benchtool read $MIX"
CMD[decode]="$OUT/benchtool decode $MIX"
CMD[dissect]="$OUT/benchtool dissect $MIX"
CMD[ward]="$OUT/ward observe --format jsonl $MIX"
# The per-core target is judged on one core: the same run with the Go scheduler held to one thread.
CMD[ward1]="env GOMAXPROCS=1 $OUT/ward observe --format jsonl $MIX"
CMD[tshark]="tshark -n -r $MIX -T fields $FIELDS"
CMD[p0f]="p0f -r $MIX"
CMD[ndpiReader]="ndpiReader -q -i $MIX"
once() { # tool: time one run, keep it if it is the tool's fastest
  local name=$1 t
  t=$( { time ${CMD[$name]} >/dev/null 2>&1 || true; } 2>&1 )
  set -- $t
  if [[ -z ${T[$name]:-} ]] || (( $(echo "$1 < ${T[$name]}" | bc -l) )); then
    T[$name]=$1; echo "$2 + $3" | bc -l > "$OUT/cpu.$name"
  fi
}
for _ in $(seq "$REPEAT"); do
  for t in read decode dissect ward ward1 tshark p0f ndpiReader; do once "$t"; done
done

printf '%-12s %9s %9s %14s %16s %10s %18s\n' tool wall_s cpu_s packets/s "packets/cpu-s" Gbit/s "ward rate / tool's"
for t in read decode dissect ward ward1 tshark p0f ndpiReader; do
  s=${T[$t]}; c=$(cat "$OUT/cpu.$t")
  pps=$(echo "$N / $s" | bc -l)
  ppc=$(echo "$N / $c" | bc -l)
  gbps=$(echo "$BYTES * 8 / $s / 1000000000" | bc -l)
  ratio=$(echo "$s / ${T[ward]}" | bc -l)
  printf '%-12s %9.2f %9.2f %14.0f %16.0f %10.2f %18.2f\n' "$t" "$s" "$c" "$pps" "$ppc" "$gbps" "$ratio"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (rates are only comparable on an otherwise idle machine)"
echo "(ratio < 1 means that tool was faster than ward; 'read' is the floor: ward should be within 3x of it;"
echo " 'ward1' is ward on one core (GOMAXPROCS=1): its packets/s is the per-core rate;"
echo " 'decode' is Ward's own floor: the read plus L2-L4 decoding and the flow table, no dissector, no output;"
echo " 'dissect' adds the dissectors, flows and SYN signatures with observations counted, not encoded: ward1 minus dissect is JSON)"
