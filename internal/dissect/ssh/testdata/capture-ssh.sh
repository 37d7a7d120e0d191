#!/usr/bin/env bash
# Regenerates the SSH captures in this directory from real peers on
# loopback: Debian's OpenSSH (server and client) and Dropbear (server and
# client). Authentication fails on purpose; the banners and the key
# exchange are all Ward reads. Needs root, openssh-server, dropbear-bin
# and tcpdump (apt-get install -y openssh-server dropbear-bin tcpdump).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host_ed25519"
dropbearkey -t ed25519 -f "$tmp/dropbear_ed25519" >/dev/null
mkdir -p /run/sshd
/usr/sbin/sshd -D -p 2222 -o ListenAddress=127.0.0.1 -h "$tmp/host_ed25519" -o PidFile="$tmp/sshd.pid" &
dropbear -F -E -p 127.0.0.1:2223 -r "$tmp/dropbear_ed25519" -P "$tmp/dropbear.pid" 2>/dev/null &
sleep 1

capture() { # name filter command...
  local name=$1 filter=$2; shift 2
  tcpdump -q -i lo -w "$name.pcap" -U "$filter" 2>/dev/null &
  local dump=$!
  sleep 1
  timeout 5 "$@" </dev/null >/dev/null 2>&1 || true
  sleep 1
  kill "$dump"; wait "$dump" 2>/dev/null || true
}
opts=(-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PreferredAuthentications=publickey)
capture openssh_to_openssh 'tcp port 2222' ssh "${opts[@]}" -p 2222 ward@127.0.0.1 true
capture openssh_to_dropbear 'tcp port 2223' ssh "${opts[@]}" -p 2223 ward@127.0.0.1 true
capture dropbear_to_openssh 'tcp port 2222' dbclient -y -y -p 2222 ward@127.0.0.1 true
for f in *.pcap; do
  tshark -r "$f" -d tcp.port==2222,ssh -d tcp.port==2223,ssh -Y 'ssh.protocol || ssh.kex.hassh || ssh.kex.hasshserver' -T fields -E header=y \
    -e frame.number -e ip.src -e tcp.srcport -e ssh.protocol -e ssh.kex.hassh -e ssh.kex.hasshserver \
    -e ssh.kex.hassh_algorithms -e ssh.kex.hasshserver_algorithms >"${f%.pcap}.oracle.tsv" 2>/dev/null
done
