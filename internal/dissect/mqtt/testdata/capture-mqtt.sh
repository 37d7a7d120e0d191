#!/usr/bin/env bash
# Regenerates the MQTT capture in this directory: Mosquitto's own clients
# against the Mosquitto broker on 127.0.0.1:1883 (pre-started on Ward's
# development machines): a 3.1.1 publish with a user name and password,
# and an anonymous 5.0 subscribe. Needs root, mosquitto-clients, tcpdump
# and tshark; the .oracle.tsv is tshark's reading.
set -euo pipefail
cd "$(dirname "$0")"
tcpdump -q -i lo -w mosquitto_clients.pcap -U 'tcp port 1883' 2>/dev/null &
dump=$!
sleep 1
mosquitto_pub -h 127.0.0.1 -p 1883 -V mqttv311 -i ALARIS-PCU-12345678 -u canaryuser -P canarysecret -t ward/test -m 1 || true
mosquitto_sub -h 127.0.0.1 -p 1883 -V mqttv5 -i icu-gw-07 -t ward/test -C 1 -W 1 >/dev/null 2>&1 || true
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
tshark -r mosquitto_clients.pcap -Y 'mqtt.msgtype == 1 || mqtt.msgtype == 2' -T fields -E header=y \
  -e frame.number -e tcp.srcport -e mqtt.msgtype -e mqtt.ver -e mqtt.clientid -e mqtt.conack.val -e mqtt.conflag.passwd >mosquitto_clients.oracle.tsv 2>/dev/null
