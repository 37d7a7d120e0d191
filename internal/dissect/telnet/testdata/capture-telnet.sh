#!/usr/bin/env bash
# Regenerates login.pcap: GNU inetutils telnetd on 127.0.0.1:23 (started
# per connection by socat, as inetd would) and Debian's telnet client
# answering the login prompt with a canary user name. Needs root,
# inetutils-telnetd, telnet, socat and tcpdump.
set -euo pipefail
cd "$(dirname "$0")"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
socat TCP-LISTEN:23,bind=127.0.0.1,reuseaddr,fork EXEC:/usr/sbin/telnetd &
sleep 1
tcpdump -q -i lo -w login.pcap -U 'tcp port 23' 2>/dev/null &
dump=$!
sleep 1
(sleep 2; printf 'canaryuser\r\n'; sleep 1; printf 'canarysecret\r\n'; sleep 1) | timeout 8 telnet 127.0.0.1 23 >/dev/null 2>&1 || true
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
