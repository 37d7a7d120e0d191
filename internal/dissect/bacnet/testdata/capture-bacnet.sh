#!/usr/bin/env bash
# Regenerates building_controllers.pcap: two BACnet/IP devices and an
# operator workstation on a veth LAN (10.47.80.0/24) made of network
# namespaces, so that broadcasts behave as on a real segment.
#
#   10.47.80.10:47808  an operating-room air handler controller (UTF-8 strings,
#                      segmentation supported)
#   10.47.80.11:47809  a pharmacy refrigeration monitor on a site that moved
#                      BACnet to 47809 (ISO 8859-1 and UCS-2 strings as well
#                      as UTF-8, no segmentation)
#   10.47.80.20        the workstation: Who-Is (local, then global broadcast
#                      DNET 65535), ReadProperty of each identifying device
#                      property, of the device's object-list, of an unknown
#                      property (an Error answers) and of an analog input's
#                      name (not the device's), then ReadPropertyMultiple of
#                      all of them plus an unknown property (an access error
#                      answers inside the ACK).
#
# Both sides are @bacnet-js/client 3.3.2 from the npm registry (PyPI, and so
# bacpypes3, BAC0 and bacpypes, could not be reached from the machine that
# made it). Names, vendor ids and serial numbers are invented. Needs root,
# ip (netns), tcpdump, node + npm and tshark.
#
# tshark's reading of it, and of the shared ndpi/bacnet.pcap when ../shared
# is beside the repository, goes to <name>.oracle.tsv (tshark -T fields) and
# <name>.values.tsv (frame, object, property, value: the property values
# tshark 4.0 prints in its tree but exposes as no field, such as
# vendor-name; the object is the read-access result's, so a point's name
# is not taken for the device's).
set -euo pipefail
cd "$(dirname "$0")"
name=building_controllers
tmp=$(mktemp -d)
ns=(ward-baclan ward-bacahu ward-bacfridge ward-bacws)
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  for n in "${ns[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$tmp" && npm init -y >/dev/null && npm install --silent @bacnet-js/client@3.3.2 >/dev/null)

# The LAN: a bridge in its own namespace, one veth pair per host.
for n in "${ns[@]}"; do ip netns add "$n"; done
ip -n ward-baclan link add br0 type bridge
ip -n ward-baclan link set br0 up
i=0
for host in ward-bacahu:10.47.80.10 ward-bacfridge:10.47.80.11 ward-bacws:10.47.80.20; do
  n=${host%%:*} addr=${host#*:}
  ip -n ward-baclan link add "p$i" type veth peer name eth0 netns "$n"
  ip -n ward-baclan link set "p$i" master br0 up
  ip -n "$n" addr add "$addr/24" brd 10.47.80.255 dev eth0
  ip -n "$n" link set eth0 up
  ip -n "$n" link set lo up
  i=$((i + 1))
done

cat >"$tmp/device.js" <<'JS'
// A BACnet device: answers Who-Is with a broadcast I-Am, and ReadProperty
// and ReadPropertyMultiple from its property table.
const { default: Client, ApplicationTag: T, ObjectType: O, ASN1_ARRAY_ALL: ALL,
  ErrorClass, ErrorCode, ConfirmedServiceChoice: S } = require('@bacnet-js/client');
const [port, conf] = [Number(process.argv[2]), require(process.argv[3])];
const c = new Client({ port, interface: '0.0.0.0', broadcastAddress: `10.47.80.255:${port}` });
const str = (v, encoding) => [{ type: T.CHARACTER_STRING, value: v, encoding }];
const objects = {};
const dev = (objects[`${O.DEVICE}:${conf.instance}`] = {
  121: str(...conf.vendorName), 70: str(...conf.modelName), 44: str(...conf.firmware),
  12: str(...conf.appVersion), 77: str(...conf.objectName), 58: str(...conf.location),
  28: str(...conf.description), 372: str(...conf.serial),
  120: [{ type: T.UNSIGNED_INTEGER, value: conf.vendorId }],
  139: [{ type: T.UNSIGNED_INTEGER, value: conf.protocolRevision }],
  112: [{ type: T.ENUMERATED, value: 0 }], // system-status operational
});
objects[`${O.ANALOG_INPUT}:1`] = { 77: str(conf.sensorName, 0), 85: [{ type: T.REAL, value: conf.sensorValue }] };
dev[76] = Object.keys(objects).map((k) => ({ type: T.OBJECTIDENTIFIER, value: { type: +k.split(':')[0], instance: +k.split(':')[1] } }));
const lookup = (o) => objects[`${o.type}:${o.type === O.DEVICE && o.instance === 4194303 ? conf.instance : o.instance}`];
c.on('whoIs', (m) => {
  const { lowLimit: lo, highLimit: hi } = m.payload || {};
  if (lo !== undefined && (conf.instance < lo || conf.instance > hi)) return;
  c.iAmResponse(undefined, conf.instance, conf.segmentation, conf.vendorId);
});
c.on('readProperty', (m) => {
  const { objectId, property } = m.payload;
  const v = (lookup(objectId) || {})[property.id];
  if (!v) return c.errorResponse(m.header.sender, S.READ_PROPERTY, m.invokeId, ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY);
  c.readPropertyResponse(m.header.sender, m.invokeId, { type: objectId.type, instance: objectId.instance === 4194303 ? conf.instance : objectId.instance }, { id: property.id, index: ALL }, v);
});
c.on('readPropertyMultiple', (m) => {
  const out = m.payload.properties.map(({ objectId, properties }) => ({
    objectId,
    values: properties.map((p) => {
      const v = (lookup(objectId) || {})[p.id];
      return { property: { id: p.id, index: ALL },
        value: v || [{ value: { type: 'BacnetError', errorClass: ErrorClass.PROPERTY, errorCode: ErrorCode.UNKNOWN_PROPERTY } }] };
    }),
  }));
  c.readPropertyMultipleResponse(m.header.sender, m.invokeId, out);
});
setTimeout(() => c.close(), 20000);
JS

cat >"$tmp/client.js" <<'JS'
// The operator workstation: discovers the device on its port and reads what
// a BMS front end reads when it adds a device.
const { default: Client, ObjectType: O, ASN1_ARRAY_ALL: ALL } = require('@bacnet-js/client');
const [port, global, target] = [Number(process.argv[2]), process.argv[3] === 'global', process.argv[4]];
const c = new Client({ port, interface: '0.0.0.0', broadcastAddress: `10.47.80.255:${port}`, apduTimeout: 2000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ident = [121, 70, 44, 12, 77, 58, 28, 120, 372, 139];
(async () => {
  let dev;
  c.on('iAm', (m) => { dev = m.payload.deviceId; });
  await sleep(500);
  c.whoIs(global ? { address: `10.47.80.255:${port}`, net: 0xffff } : undefined);
  await sleep(1000);
  if (dev === undefined) throw new Error('no I-Am');
  const obj = { type: O.DEVICE, instance: dev };
  const rp = async (o, p) => {
    try { await c.readProperty({ address: target }, o, p); } catch (e) { console.error(`read ${o.type},${o.instance} ${p}: ${e.message}`); }
    await sleep(100);
  };
  for (const p of [...ident, 76, 4711]) await rp(obj, p);
  await rp({ type: O.ANALOG_INPUT, instance: 1 }, 77);
  await c.readPropertyMultiple({ address: target }, [
    { objectId: obj, properties: [...ident, 4711].map((id) => ({ id, index: ALL })) },
    { objectId: { type: O.ANALOG_INPUT, instance: 1 }, properties: [{ id: 77, index: ALL }, { id: 85, index: ALL }] },
  ]);
  await sleep(300);
  c.close();
})().catch((e) => { console.error(e); process.exit(1); });
JS

cat >"$tmp/ahu.json" <<'JSON'
{ "instance": 260001, "vendorId": 3001, "segmentation": 0, "protocolRevision": 22,
  "vendorName": ["Northgate Building Controls", 0], "modelName": ["NBC-AHU-740", 0],
  "firmware": ["4.12.3", 0], "appVersion": ["AHU-OR-Pressure 2.1.0", 0],
  "objectName": ["AHU-OR3-EAST", 0], "location": ["Surgery Wing B, Level 2, Mech Room 2.114", 0],
  "description": ["Air handler, operating rooms 3-5, positive pressure cascade", 0],
  "serial": ["NBC740-22A0193", 0], "sensorName": "OR3 Room Differential Pressure", "sensorValue": 12.5 }
JSON
cat >"$tmp/fridge.json" <<'JSON'
{ "instance": 710042, "vendorId": 3002, "segmentation": 3, "protocolRevision": 14,
  "vendorName": ["Kältetechnik Rhein GmbH", 5], "modelName": ["KR-Pharma 5", 0],
  "firmware": ["2.0.7", 0], "appVersion": ["PharmaCool 5.3", 4],
  "objectName": ["Pharmacy Fridge 2", 4], "location": ["Apotheke, Kühlraum 2", 5],
  "description": ["Medikamentenkühlung 2–8 °C", 4],
  "serial": ["KR5-0042817", 0], "sensorName": "Fridge 2 Air Temperature", "sensorValue": 4.75 }
JSON

ip netns exec ward-bacws tcpdump -q -Z root -i eth0 -w "$name.pcap" -U 'udp' 2>/dev/null &
dump=$!
sleep 1
(cd "$tmp" && ip netns exec ward-bacahu node device.js 47808 ./ahu.json) &
(cd "$tmp" && ip netns exec ward-bacfridge node device.js 47809 ./fridge.json) &
sleep 2
(cd "$tmp" && ip netns exec ward-bacws node client.js 47808 local 10.47.80.10)
(cd "$tmp" && ip netns exec ward-bacws node client.js 47809 global 10.47.80.11:47809)
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
chmod 644 "$name.pcap"

oracle() { # capture, output name, tshark options
  local pcap=$1 out=$2
  shift 2
  tshark -n -r "$pcap" "$@" -Y bacapp -T fields -E header=y -E separator=/t -E occurrence=a -E 'aggregator=§' \
    -e frame.number -e ip.src -e udp.srcport -e bacapp.type -e bacapp.confirmed_service -e bacapp.unconfirmed_service \
    -e bacapp.objectType -e bacapp.instance_number -e bacapp.property_identifier -e bacapp.vendor_identifier \
    -e bacapp.object_name -e bacapp.string_character_set -e bacnet.snet >"$out.oracle.tsv" 2>/dev/null
  tshark -n -r "$pcap" "$@" -Y bacapp -V 2>/dev/null | awk '
    BEGIN { OFS = "\t"; print "frame.number", "object", "property", "value" }
    /^Frame [0-9]+:/ { frame = substr($2, 1, length($2) - 1); obj = ""; depth = 0; next }
    /^ +\{\[[0-9]+\]$/ { depth++; next }
    /^ +\}\[[0-9]+\]$/ { depth--; next }
    depth == 0 && /^    ObjectIdentifier: / { obj = substr($0, 23); next }
    match($0, /^ +[a-z][a-z-]*: /) {
      prop = substr($0, RSTART, RLENGTH - 2); sub(/^ +/, "", prop); rest = substr($0, RSTART + RLENGTH)
      if (match(rest, /^\(Unsigned\) [0-9]+$/)) { print frame, obj, prop, substr(rest, 12); next }
      if (match(rest, / \x27.*\x27$/)) { print frame, obj, prop, substr(rest, RSTART + 2, RLENGTH - 3); next }
    }
    /^ +Object Name: / { v = $0; sub(/^ +Object Name: /, "", v); print frame, obj, "object-name", v }
  ' >"$out.values.tsv"
}
oracle "$name.pcap" "$name" -d udp.port==47809,bvlc
shared=../../../../../shared/data/pcaps/ndpi/bacnet.pcap
if [ -f "$shared" ]; then oracle "$shared" ndpi_bacnet; fi
