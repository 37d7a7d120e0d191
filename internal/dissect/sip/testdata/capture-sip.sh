#!/usr/bin/env bash
# Regenerates the SIP captures in this directory: SIPp (Debian's sip-tester)
# playing a desk phone (uac.xml) against a PBX (uas.xml) on loopback, over
# UDP and over TCP. The BYE carries two Via headers and another
# User-Agent, as a request relayed by a proxy would. Needs root, sip-tester,
# tcpdump and tshark; the .oracle.tsv beside each capture is tshark's reading.
set -euo pipefail
cd "$(dirname "$0")"
run() { # name transport(u1|t1)
  local name=$1 t=$2
  tcpdump -q -i lo -w "$name.pcap" -U 'port 5070 or port 5071' 2>/dev/null &
  local dump=$!
  sleep 1
  sipp -sf uas.xml -t "$t" -i 127.0.0.1 -p 5070 -m 1 -nostdin >/dev/null 2>&1 &
  sleep 0.5
  sipp -sf uac.xml -t "$t" -i 127.0.0.1 -p 5071 -m 1 127.0.0.1:5070 >/dev/null 2>&1 || true
  sleep 1.5
  kill "$dump"; wait "$dump" 2>/dev/null || true
  pkill -f 'sipp -sf uas.xml' 2>/dev/null || true
  tshark -r "$name.pcap" -d udp.port==5070,sip -d tcp.port==5070,sip -Y sip -T fields -E header=y \
    -e frame.number -e ip.src -e sip.Method -e sip.Status-Code -e sip.User-Agent -e sip.Server >"$name.oracle.tsv" 2>/dev/null
}
run phone_pbx_udp u1
run phone_pbx_tcp t1
rm -f *_errors.log *_messages.log *.csv
