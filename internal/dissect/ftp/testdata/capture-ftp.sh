#!/usr/bin/env bash
# Regenerates the FTP capture in this directory: Debian's vsftpd on
# loopback port 2121, and curl logging in anonymously (asking SYST and a
# listing), then with a user name and password (refused). Needs root,
# vsftpd, curl, tcpdump and tshark; the .oracle.tsv is tshark's reading.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/anon" /var/run/vsftpd/empty
cat >"$tmp/vsftpd.conf" <<CONF
listen=YES
listen_address=127.0.0.1
listen_port=2121
anonymous_enable=YES
anon_root=$tmp/anon
local_enable=NO
seccomp_sandbox=NO
background=NO
CONF
vsftpd "$tmp/vsftpd.conf" &
sleep 1
tcpdump -q -i lo -w vsftpd_anonymous_and_refused.pcap -U 'tcp port 2121' 2>/dev/null &
dump=$!
sleep 1
curl -s --max-time 5 -Q SYST ftp://127.0.0.1:2121/ >/dev/null || true
curl -s --max-time 5 -u 'canaryuser:canarysecret' ftp://127.0.0.1:2121/ >/dev/null || true
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
tshark -r vsftpd_anonymous_and_refused.pcap -d tcp.port==2121,ftp -Y 'ftp.response.code || ftp.request.command' -T fields -E header=y \
  -e frame.number -e tcp.srcport -e ftp.response.code -e ftp.response.arg -e ftp.request.command >vsftpd_anonymous_and_refused.oracle.tsv 2>/dev/null
