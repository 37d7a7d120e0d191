#!/usr/bin/env bash
# Regenerates device_descriptions.pcap: curl fetching, from a Python web
# server on loopback port 8088, what control points fetch from devices: a
# UPnP device description (GET, as SSDP's LOCATION points to) and WSD
# device metadata (a WS-Transfer Get, POSTed as Windows does to a WSD
# printer), a UPnP description sent chunked (as embedded web servers
# often do), and an XML document that is neither (a FHIR Patient with a
# canary name, sent plain and chunked, which must not be read). Needs root,
# python3, curl, tcpdump.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
cat >"$tmp/description.xml" <<'XML'
<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<device>
<deviceType>urn:schemas-upnp-org:device:Printer:1</deviceType>
<friendlyName>HP LaserJet Pro M404dn (Ward 3 nurses' station)</friendlyName>
<manufacturer>HP</manufacturer>
<manufacturerURL>http://www.hp.com</manufacturerURL>
<modelDescription>HP LaserJet Pro M404dn</modelDescription>
<modelName>HP LaserJet Pro M404dn</modelName>
<modelNumber>W1A53A</modelNumber>
<serialNumber>PHBBK12345</serialNumber>
<UDN>uuid:564e4333-3737-3930-3336-308c8d9b9f04</UDN>
<serviceList><service><serviceType>urn:schemas-upnp-org:service:PrintBasic:1</serviceType><serviceId>urn:upnp-org:serviceId:PrintBasic</serviceId><SCPDURL>/scpd.xml</SCPDURL><controlURL>/control</controlURL><eventSubURL>/event</eventSubURL></service></serviceList>
</device>
</root>
XML
cat >"$tmp/metadata.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsx="http://schemas.xmlsoap.org/ws/2004/09/mex" xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof"><soap:Header><wsa:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse</wsa:Action><wsa:RelatesTo>urn:uuid:1</wsa:RelatesTo></soap:Header><soap:Body><wsx:Metadata>
<wsx:MetadataSection Dialect="http://schemas.xmlsoap.org/ws/2006/02/devprof/ThisModel"><wsdp:ThisModel><wsdp:Manufacturer>Brother Industries, Ltd.</wsdp:Manufacturer><wsdp:ManufacturerUrl>http://www.brother.com</wsdp:ManufacturerUrl><wsdp:ModelName>Brother HL-L2350DW series</wsdp:ModelName><wsdp:ModelNumber>HL-L2350DW</wsdp:ModelNumber><wsdp:PresentationUrl>http://10.4.2.31/</wsdp:PresentationUrl></wsdp:ThisModel></wsx:MetadataSection>
<wsx:MetadataSection Dialect="http://schemas.xmlsoap.org/ws/2006/02/devprof/ThisDevice"><wsdp:ThisDevice><wsdp:FriendlyName>Brother HL-L2350DW series</wsdp:FriendlyName><wsdp:FirmwareVersion>1.72</wsdp:FirmwareVersion><wsdp:SerialNumber>E78123A9N654321</wsdp:SerialNumber></wsdp:ThisDevice></wsx:MetadataSection>
</wsx:Metadata></soap:Body></soap:Envelope>
XML
cat >"$tmp/camera.xml" <<'XML'
<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
<specVersion><major>1</major><minor>0</minor></specVersion>
<URLBase>http://10.4.9.20:49152/</URLBase>
<device>
<deviceType>urn:axis-com:device:NetworkCamera:1</deviceType>
<friendlyName>AXIS P3245-V - ACCC8E123456 (ED triage)</friendlyName>
<manufacturer>AXIS</manufacturer>
<manufacturerURL>http://www.axis.com/</manufacturerURL>
<modelDescription>AXIS P3245-V Network Camera</modelDescription>
<modelName>AXIS P3245-V</modelName>
<modelNumber>P3245-V</modelNumber>
<serialNumber>ACCC8E123456</serialNumber>
<UDN>uuid:Upnp-BasicDevice-1_0-ACCC8E123456</UDN>
<presentationURL>http://10.4.9.20:80/</presentationURL>
</device>
</root>
XML
cat >"$tmp/patient.xml" <<'XML'
<?xml version="1.0"?>
<Patient xmlns="http://hl7.org/fhir"><name><family value="CANARY"/><given value="PATIENT"/></name><manufacturer>CANARY-NOT-A-DEVICE</manufacturer></Patient>
XML
cat >"$tmp/server.py" <<'PY'
import http.server, sys, os
root = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def send(self, name, ctype):
        body = open(os.path.join(root, name), "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def send_chunked(self, name, ctype):
        body = open(os.path.join(root, name), "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(0, len(body), 200):
            part = body[i:i+200]
            self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
    def do_GET(self):
        if self.path == "/rootdesc.xml":
            self.send_chunked("camera.xml", 'text/xml; charset="utf-8"')
        elif self.path == "/fhir/Patient/2":
            self.send_chunked("patient.xml", "application/fhir+xml")
        else:
            self.send("description.xml" if self.path == "/description.xml" else "patient.xml", "text/xml; charset=utf-8")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send("metadata.xml", "application/soap+xml")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", 8088), H).serve_forever()
PY
python3 "$tmp/server.py" "$tmp" &
sleep 1
tcpdump -q -i lo -w device_descriptions.pcap -U 'tcp port 8088' 2>/dev/null &
dump=$!
sleep 1
curl -s -A 'Microsoft-Windows/10.0 UPnP/1.0' http://127.0.0.1:8088/description.xml >/dev/null
curl -s -A 'WSDAPI' -H 'Content-Type: application/soap+xml' --data-binary '<soap:Envelope/>' http://127.0.0.1:8088/metadata >/dev/null
curl -s http://127.0.0.1:8088/Patient/1 >/dev/null
curl -s -A 'Microsoft-Windows/10.0 UPnP/1.0' http://127.0.0.1:8088/rootdesc.xml >/dev/null
curl -s http://127.0.0.1:8088/fhir/Patient/2 >/dev/null
sleep 1
kill "$dump"; wait "$dump" 2>/dev/null || true
