#!/usr/bin/env bash
# Regenerates snmpv3_netsnmp.pcap and its tshark oracle: Debian's Net-SNMP
# agent (snmpd) with an engine ID of the MAC format (RFC 3411 format 3, the
# MAC of a veth set to 00:09:fb:12:34:56), asked for sysDescr and sysName by
# snmpget, once under authPriv and once under noAuthNoPriv, all in a
# private network namespace. Needs root, snmpd, snmp, tcpdump, tshark.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/snmpd.conf" <<'CONF'
agentAddress udp:127.0.0.1:161
engineIDType 3
engineIDNic v0
createUser wardauth SHA "authpass123" AES "privpass123"
createUser wardnoauth
rouser wardauth priv
rouser wardnoauth noauth
sysDescr Acme Infusion Gateway 2.1
sysName IGW-07
CONF
unshare -n bash -c "
ip link set lo up
ip link add v0 type veth peer name v1 && ip link set v0 address 00:09:fb:12:34:56 && ip link set v0 up && ip link set v1 up
snmpd -f -Lo -C -c $tmp/snmpd.conf -p $tmp/snmpd.pid --persistentDir=$tmp/persist >/dev/null 2>&1 &
sleep 1
tcpdump -i lo -s0 -U -w $PWD/snmpv3_netsnmp.pcap udp port 161 >/dev/null 2>&1 &
sleep 1
snmpget -v3 -l authPriv -u wardauth -a SHA -A authpass123 -x AES -X privpass123 127.0.0.1 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 >/dev/null
snmpget -v3 -l noAuthNoPriv -u wardnoauth 127.0.0.1 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0 >/dev/null
sleep 1
kill \$(jobs -p)
"
tshark -r snmpv3_netsnmp.pcap -T fields -E header=y -E occurrence=f -e frame.number -e udp.srcport -e snmp.msgAuthoritativeEngineID \
  -e snmp.engineid.enterprise -e snmp.engineid.format -e snmp.engineid.mac >snmpv3_netsnmp.oracle.tsv 2>/dev/null
