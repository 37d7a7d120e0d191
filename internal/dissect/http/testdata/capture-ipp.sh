#!/usr/bin/env bash
# Regenerates ipp_cups.pcap: IPP (HTTP POST, Content-Type application/ipp)
# between ipptool and two printers on loopback:
#
#   127.0.0.1:631   cupsd with a queue WARD3 for a wristband printer, set up
#                   from a PPD whose 1284DeviceID names a Zebra (with the
#                   long keys MANUFACTURER, MODEL, SERIALNUMBER), with
#                   printer-info and printer-location set by lpadmin. cupsd
#                   answers chunked.
#   127.0.0.1:8631  ippeveprinter, an IPP Everywhere printer, given an HP
#                   LaserJet's attributes (short device id keys MFG, MDL, SN,
#                   printer-firmware-string-version, printer-firmware-version
#                   as an octetString).
#
# On each: Get-Printer-Attributes (get-printer-attributes.test: "all" and
# media-col-database), then on one connection a Print-Job named
# CANARY-PATIENT-REPORT by user canary-nurse with a canary document,
# Get-Job-Attributes (all) and Get-Jobs: the job name, user name and
# document travel in requests and in the job-attributes group of responses,
# and must never reach an observation. cupsd is told not to hide them
# (JobPrivateValues none), as a server with a permissive policy would not.
#
# Everything runs in private network, mount and PID namespaces (a dbus and
# avahi-daemon of their own, as ippeveprinter needs DNS-SD; a temporary
# cupsd configuration), so nothing outlives the script. Needs root, unshare,
# cups, cups-ipp-utils, avahi-daemon, dbus, tcpdump and tshark.
#
# tshark's reading goes to ipp_cups.oracle.tsv (-T fields: tshark 4.0 has
# no field per IPP attribute, only ipp.name and per-syntax value fields
# that cannot be paired) and ipp_cups.values.tsv (frame, group, attribute,
# first value: from the tree tshark prints with -V).
set -euo pipefail
cd "$(dirname "$0")"
name=ipp_cups

if [ "${WARD_IPP_NS:-}" != 1 ]; then
  WARD_IPP_NS=1 unshare --mount --net --pid --fork --mount-proc bash "$0"
  chmod 644 "$name.pcap"
  oracle() { # capture, output name, tshark options
    local pcap=$1 out=$2
    shift 2
    tshark -n -r "$pcap" "$@" -Y ipp -T fields -E header=y -E separator=/t -E occurrence=a -E 'aggregator=§' \
      -e frame.number -e ip.src -e tcp.srcport -e http.content_type -e ipp.version -e ipp.operation_id \
      -e ipp.status_code -e ipp.name -e ipp.charstring_value -e ipp.octetstring_value >"$out.oracle.tsv" 2>/dev/null
    # The tree: a group is a 4-space line ending in "-tag", an attribute a
    # 8-space line "name (syntax): 'v1','v2'" (strings) or "name (syntax): v".
    tshark -n -r "$pcap" "$@" -Y ipp -V 2>/dev/null | awk '
      BEGIN { OFS = "\t"; print "frame.number", "group", "attribute", "value" }
      /^Frame [0-9]+:/ { frame = substr($2, 1, length($2) - 1); ipp = 0; next }
      /^Internet Printing Protocol$/ { ipp = 1; next }
      !ipp { next }
      /^    [a-z-]+-tag$/ { group = substr($0, 5); next }
      match($0, /^        [a-z0-9-]+ \([^)]*\): /) {
        attr = substr($0, 9); sub(/ \(.*$/, "", attr); rest = substr($0, RSTART + RLENGTH)
        if (rest ~ /^\x27/) { sub(/^\x27/, "", rest); sub(/\x27(,\x27.*)?$/, "", rest) }
        print frame, group, attr, rest
      }
    ' >"$out.values.tsv"
  }
  oracle "$name.pcap" "$name" -d tcp.port==8631,http
  shared=../../../../../shared/data/pcaps/ndpi/ipp.pcap
  if [ -f "$shared" ]; then oracle "$shared" ndpi_ipp; fi
  exit 0
fi

# Inside the namespaces.
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
mount -t tmpfs tmpfs /run
mkdir -p /run/dbus /run/avahi-daemon /run/cups
ip link set lo up
dbus-daemon --system --fork
avahi-daemon -D --no-rlimits --no-chroot

cat >"$tmp/hp.conf" <<'EOF'
ATTR textWithoutLanguage printer-make-and-model "HP LaserJet Pro M404dn"
ATTR textWithoutLanguage printer-device-id "MFG:HP;MDL:HP LaserJet Pro M404dn;CMD:PJL,PCL,PCLXL,PWGRaster,URF,PDF;CLS:PRINTER;DES:W1A53A;CID:HPLJPDLV1;SN:PHBBK12345;"
ATTR nameWithoutLanguage printer-firmware-name "HP LaserJet Pro M404dn Firmware"
ATTR textWithoutLanguage printer-firmware-string-version "002.2308A"
ATTR octetString printer-firmware-version "20230816"
ATTR keyword media-supported na_letter_8.5x11in,iso_a4_210x297mm
ATTR keyword media-default iso_a4_210x297mm
ATTR collection media-col-default {
	MEMBER collection media-size { MEMBER integer x-dimension 21000 MEMBER integer y-dimension 29700 }
	MEMBER keyword media-source auto
	MEMBER keyword media-type stationery
}
EOF
mkdir -p "$tmp/eve"
ippeveprinter -p 8631 -d "$tmp/eve" -l "Ward 3 nurses' station" -a "$tmp/hp.conf" NPI9B9F04 >"$tmp/eve.log" 2>&1 &

c=$tmp/cups
mkdir -p "$c"/{spool/tmp,cache,state,log}
cat >"$c/cups-files.conf" <<EOF
ServerRoot $c
RequestRoot $c/spool
TempDir $c/spool/tmp
CacheDir $c/cache
StateDir $c/state
ErrorLog $c/log/error_log
AccessLog $c/log/access_log
PageLog $c/log/page_log
FileDevice Yes
SystemGroup root
EOF
cat >"$c/cupsd.conf" <<'EOF'
LogLevel warn
Listen 127.0.0.1:631
Browsing No
DefaultAuthType None
WebInterface No
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  JobPrivateAccess all
  JobPrivateValues none
  SubscriptionPrivateAccess all
  SubscriptionPrivateValues none
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
EOF
cat >"$tmp/zebra.ppd" <<'EOF'
*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "ZD510HC.PPD"
*Manufacturer: "Zebra"
*Product: "(ZD510-HC)"
*ModelName: "Zebra ZD510-HC"
*ShortNickName: "Zebra ZD510-HC"
*NickName: "Zebra ZD510-HC Wristband Printer, 1.0"
*1284DeviceID: "MANUFACTURER:Zebra Technologies;COMMAND SET:ZPL;MODEL:ZTC ZD510-300dpi ZPL;CLASS:PRINTER;SERIALNUMBER:D2J193401234;"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: False
*DefaultColorSpace: Gray
*FileSystem: False
*Throughput: "1"
*cupsFilter: "application/vnd.cups-raw 0 -"
*OpenUI *PageSize: PickOne
*DefaultPageSize: Wristband
*PageSize Wristband/Wristband 1x11in: "<</PageSize[72 792]>>setpagedevice"
*CloseUI: *PageSize
*OpenUI *PageRegion: PickOne
*DefaultPageRegion: Wristband
*PageRegion Wristband/Wristband 1x11in: "<</PageSize[72 792]>>setpagedevice"
*CloseUI: *PageRegion
*DefaultImageableArea: Wristband
*ImageableArea Wristband: "0 0 72 792"
*DefaultPaperDimension: Wristband
*PaperDimension Wristband: "72 792"
EOF
cupsd -f -c "$c/cupsd.conf" -s "$c/cups-files.conf" &
sleep 2
lpadmin -h 127.0.0.1:631 -p WARD3 -E -v file:/dev/null -P "$tmp/zebra.ppd" \
  -L "Ward 3 nurses' station" -D "Ward 3 wristband printer" 2>/dev/null

cat >"$tmp/canary.test" <<'EOF'
{
	NAME "Print-Job with a canary job name, user and document"
	OPERATION Print-Job
	GROUP operation-attributes-tag
	ATTR charset attributes-charset utf-8
	ATTR language attributes-natural-language en
	ATTR uri printer-uri $uri
	ATTR name requesting-user-name canary-nurse
	ATTR name job-name CANARY-PATIENT-REPORT
	ATTR mimeMediaType document-format $format
	FILE $filename
	STATUS successful-ok
	EXPECT job-id
}
{
	NAME "Get-Job-Attributes"
	OPERATION Get-Job-Attributes
	GROUP operation-attributes-tag
	ATTR charset attributes-charset utf-8
	ATTR language attributes-natural-language en
	ATTR uri printer-uri $uri
	ATTR integer job-id $job-id
	ATTR name requesting-user-name canary-nurse
	ATTR keyword requested-attributes all
	STATUS successful-ok
}
{
	NAME "Get-Jobs"
	OPERATION Get-Jobs
	GROUP operation-attributes-tag
	ATTR charset attributes-charset utf-8
	ATTR language attributes-natural-language en
	ATTR uri printer-uri $uri
	ATTR name requesting-user-name canary-nurse
	ATTR keyword which-jobs all
	ATTR keyword requested-attributes job-id,job-name,job-originating-user-name,job-state
	STATUS successful-ok
}
EOF
# A PWG raster sync word first: ippeveprinter sniffs application/octet-stream
# and refuses a document it cannot type; the rest is the canary.
printf 'RaS2PwgRaster\0CANARY-DOCUMENT wristband: PATIENT, CANARY  MRN CANARY-0042  DOB 1970-01-01\n' >"$tmp/canary.txt"

tcpdump -q -i lo -w "$name.pcap" -U 'tcp port 631 or tcp port 8631' 2>/dev/null &
dump=$!
sleep 1
# The raw queue takes only application/vnd.cups-raw; ippeveprinter
# application/octet-stream.
for target in ipp://127.0.0.1:631/printers/WARD3,application/vnd.cups-raw ipp://127.0.0.1:8631/ipp/print,application/octet-stream; do
  uri=${target%%,*}
  ipptool -T 10 -t "$uri" /usr/share/cups/ipptool/get-printer-attributes.test || true
  ipptool -T 10 -t -d "format=${target#*,}" -f "$tmp/canary.txt" "$uri" "$tmp/canary.test" || true
done
sleep 1
kill "$dump"
wait "$dump" 2>/dev/null || true
