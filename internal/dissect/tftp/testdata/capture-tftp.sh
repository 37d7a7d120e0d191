#!/usr/bin/env bash
# Regenerates the TFTP capture in this directory: Debian's tftpd-hpa on
# 127.0.0.1:69 and tftp-hpa's client fetching what IP phones fetch at boot
# (a Cisco phone's MAC-named configuration, a Yealink model file) and a
# boot loader the server does not have. Needs root, tftpd-hpa, tftp-hpa,
# tcpdump and tshark; the .oracle.tsv is tshark's reading.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root"
printf '<device><deviceProtocol>SIP</deviceProtocol></device>\n' >"$tmp/root/SEP001122334455.cnf.xml"
printf '#!version:1.0.0.1\n' >"$tmp/root/y000000000044.cfg"
in.tftpd --foreground --address 127.0.0.1:69 --secure "$tmp/root" &
sleep 1
tcpdump -q -i lo -w phone_boot.pcap -U 'udp' 2>/dev/null &
dump=$!
sleep 1
for f in SEP001122334455.cnf.xml y000000000044.cfg pxelinux.0; do
  timeout 3 tftp -m octet 127.0.0.1 69 -c get "$f" "$tmp/$f" || true
done
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
tshark -r phone_boot.pcap -Y 'tftp.opcode == 1 || tftp.opcode == 2' -T fields -E header=y \
  -e frame.number -e udp.dstport -e tftp.opcode -e tftp.source_file -e tftp.type >phone_boot.oracle.tsv 2>/dev/null
