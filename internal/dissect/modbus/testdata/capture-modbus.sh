#!/usr/bin/env bash
# Regenerates the Modbus/TCP captures in this directory: a pymodbus server
# (Debian's python3-pymodbus 3.0) on 127.0.0.1:502 and 127.0.0.1:5020 with
# the device identification of an invented UPS, and a pymodbus client that
# polls holding registers, writes registers, reads the device
# identification (basic, regular, one object, extended: its private
# objects take two more "more follows" rounds) and provokes two exception
# responses. Port 5020 shows detection by content off port 502. Needs root,
# python3-pymodbus, tcpdump and tshark; the .oracle.tsv is tshark's reading.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/server.py" <<'PY'
import asyncio
from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext, ModbusServerContext
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.server import StartAsyncTcpServer

identity = ModbusDeviceIdentification(info={
    0x00: "Eaton", 0x01: "9PX6KIRTN", 0x02: "v2.14.3", 0x03: "https://www.eaton.com/ups",
    0x04: "9PX UPS 6kVA", 0x05: "9PX6KiRT", 0x06: "OR-3 theatre UPS (east riser)",
    # Private objects, long enough that an extended read needs more rounds.
    0x80: "serial GB12A34567 battery EBM-240V x2 " + "." * 100,
    0x81: "network card Gigabit Network Card M2 firmware 3.1.4 " + "-" * 100,
})
store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, [230, 50, 98, 12, 0, 1, 4500, 2] + [0] * 92))
context = ModbusServerContext(slaves=store, single=True)

async def main():
    servers = []
    for port in (502, 5020):
        servers.append(await StartAsyncTcpServer(context=context, identity=identity,
                                                 address=("127.0.0.1", port), defer_start=True))
    await asyncio.gather(*(s.serve_forever() for s in servers))

asyncio.run(main())
PY

cat >"$work/client.py" <<'PY'
import sys, time
from pymodbus.client import ModbusTcpClient
from pymodbus.mei_message import ReadDeviceInformationRequest

def devid(c, code, obj, unit):
    r = c.execute(ReadDeviceInformationRequest(read_code=code, object_id=obj, unit=unit))
    # A response with "more follows" names the object to ask for next.
    while getattr(r, "more_follows", 0) == 0xFF:
        r = c.execute(ReadDeviceInformationRequest(read_code=code, object_id=r.next_object_id, unit=unit))

port = int(sys.argv[1])
c = ModbusTcpClient("127.0.0.1", port=port)
c.connect()
if port == 502:
    for _ in range(3):
        c.read_holding_registers(0, 8, slave=1)
    c.write_register(1, 51, slave=1)                 # function 6
    c.write_registers(4, [0, 1], slave=1)            # function 16
    devid(c, 1, 0, 1)                                # basic
    devid(c, 2, 0, 1)                                # regular
    devid(c, 4, 5, 1)                                # one object: ModelName
    devid(c, 1, 0, 1)                                # basic again: nothing new
    devid(c, 3, 0, 1)                                # extended: three rounds
    c.read_holding_registers(5000, 2, slave=1)       # exception 0x83
    c.execute(ReadDeviceInformationRequest(read_code=5, object_id=0, unit=1))  # exception 0xAB
    for _ in range(3):
        c.read_holding_registers(0, 8, slave=1)
else:
    for _ in range(2):
        c.read_holding_registers(0, 4, slave=17)
    devid(c, 2, 0, 17)
c.close()
time.sleep(0.2)
PY

/usr/bin/python3 "$work/server.py" 2>/dev/null &
server=$!
sleep 2
# One capture per port: tshark reads Modbus/TCP on one port at a time.
tcpdump -q -i lo -w pymodbus_ups.pcap -U 'tcp port 502' 2>/dev/null &
dump502=$!
tcpdump -q -i lo -w pymodbus_5020.pcap -U 'tcp port 5020' 2>/dev/null &
dump5020=$!
sleep 1
/usr/bin/python3 "$work/client.py" 502
/usr/bin/python3 "$work/client.py" 5020
sleep 1
kill "$dump502" "$dump5020"; wait "$dump502" "$dump5020" 2>/dev/null || true
kill "$server"; wait "$server" 2>/dev/null || true
oracle() { # capture, port
  tshark -n -r "$1.pcap" -o "mbtcp.tcp.port:$2" -Y mbtcp -T fields -E header=y -E separator=/t -E occurrence=a -E 'aggregator=§' \
    -e frame.number -e ip.src -e tcp.srcport -e tcp.dstport -e mbtcp.unit_id -e modbus.func_code -e modbus.exception_code \
    -e modbus.mei -e modbus.read_device_id -e modbus.more_follows -e modbus.next_object_id -e modbus.num_objects \
    -e modbus.object_id -e modbus.object_str_value >"$1.oracle.tsv" 2>/dev/null
}
oracle pymodbus_ups 502
oracle pymodbus_5020 5020
