#!/usr/bin/env bash
# Regenerates scan_to_email.pcap: Python's smtpd debugging server on
# 127.0.0.1:25 and curl sending a message as a multifunction printer
# would ("scan to e-mail"), naming itself in EHLO. The sender, recipient
# and message are canaries. Needs root, python3 (3.11: smtpd), curl,
# tcpdump and tshark; the .oracle.tsv is tshark's reading.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
python3 -W ignore -m smtpd -n -c DebuggingServer 127.0.0.1:25 >/dev/null 2>&1 &
sleep 1
tcpdump -q -i lo -w scan_to_email.pcap -U 'tcp port 25' 2>/dev/null &
dump=$!
sleep 1
printf 'Subject: scan from CANARY PATIENT room\r\n\r\ncanary body\r\n' >"$tmp/msg"
curl -s --max-time 5 smtp://127.0.0.1:25/ricoh-mpc3003.radiology.local --mail-from canary.sender@hospital.example \
  --mail-rcpt canary.rcpt@hospital.example -T "$tmp/msg" || true
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
tshark -r scan_to_email.pcap -Y 'smtp.req.command || smtp.response.code' -T fields -E header=y \
  -e frame.number -e tcp.srcport -e smtp.req.command -e smtp.req.parameter -e smtp.response.code >scan_to_email.oracle.tsv 2>/dev/null
