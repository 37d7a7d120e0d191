#!/usr/bin/env bash
# Ward's dissectors against tshark on captures beyond the shared set: the test
# captures of tcpdump, nDPI and Wireshark's own source packages (about a
# thousand files, many of them malformed on purpose). Not part of CI: it
# downloads three Debian source packages and runs tshark twice per file
# (about 10 minutes on 2 cores).
#   bash scripts/oracle-sweep.sh [WORKDIR]      (default /tmp/ward-sweep)
# What it does:
#  1. apt-get source tcpdump, ndpi, wireshark (adds a deb-src entry if needed)
#     and copies their captures under WORKDIR/data/pcaps/{tcpdump,ndpi,wireshark},
#     leaving out those already in ../shared/data/pcaps and gunzipping .gz ones;
#  2. runs `ward observe --stats` on every file: a panic in any dissector or an
#     exit code other than 0/1 is reported;
#  3. moves aside the files Ward reports as truncated (the oracle tests need
#     whole files), writes tshark's field dumps with the shared set's exact
#     command (../shared/data/pcaps/oracle/make-oracle.sh) and an INVENTORY.tsv,
#     links the shared captures in too, and
#  4. runs every dissector's oracle test with WARD_SHARED_DATA pointing there.
# The per-field agreement tables and the disagreements are in WORKDIR/oracle-tests.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
W=${1:-/tmp/ward-sweep}
SHARED=${WARD_SHARED_DATA:-$REPO/../shared/data}
P=$W/data/pcaps
export DEBIAN_FRONTEND=noninteractive
command -v tshark >/dev/null || apt-get install -y -qq tshark >/dev/null
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/ward-deb-src.sources
  apt-get update -qq
fi
mkdir -p "$W/src" "$P"/{tcpdump,ndpi,wireshark,oracle} "$W/truncated"
(cd "$W/src" && for pkg in tcpdump ndpi wireshark; do ls -d "$pkg"* >/dev/null 2>&1 || apt-get source -qq --download-only "$pkg" >/dev/null 2>&1 || true; done
  for t in *.orig.tar.*; do tar xf "$t" --wildcards '*/tests/*' '*/test/captures/*' 2>/dev/null || true; done)
copy() { # files dir
  for f in "${@:2}"; do
    b=$(basename "$f")
    [[ -e $SHARED/pcaps/$1/$b || -e $P/$1/${b%.gz} ]] && continue
    case $b in *.gz) gunzip -c "$f" > "$P/$1/${b%.gz}" ;; *) cp "$f" "$P/$1/" ;; esac
  done
}
copy tcpdump "$W"/src/tcpdump-*/tests/*.pcap* 2>/dev/null || true
copy ndpi "$W"/src/nDPI-*/tests/pcap/* 2>/dev/null || true
copy wireshark "$W"/src/wireshark-*/test/captures/*.pcap* "$W"/src/wireshark-*/test/captures/*.cap* 2>/dev/null || true
CGO_ENABLED=0 go build -o "$W/ward" ./cmd/ward

echo "== robustness: ward observe --stats on $(ls "$P"/{tcpdump,ndpi,wireshark} | wc -l) captures"
bad=0
for f in "$P"/{tcpdump,ndpi,wireshark}/*; do
  rc=0; timeout 60 "$W/ward" observe --stats "$f" >/dev/null 2>"$W/stderr" || rc=$?
  if awk '$1!="protocol" && NF==5 && $5 ~ /^[0-9]+$/ && $5>0 {found=1} END {exit !found}' "$W/stderr"; then
    echo "PANIC (recovered) in $f"; bad=1
  fi
  if [[ $rc -ne 0 && $rc -ne 1 ]]; then echo "exit $rc on $f"; bad=1; fi
  grep -q "byte offset" "$W/stderr" && mv "$f" "$W/truncated/"
done
[[ $bad == 0 ]] && echo "no panic, no crash"

echo "== tshark field dumps"
cp "$SHARED/pcaps/oracle/make-oracle.sh" "$SHARED/pcaps/oracle/pdml_extract.py" "$P/oracle/"
# One capture's dumps, exactly as make-oracle.sh writes them.
cat > "$W/one.sh" <<'EOS'
#!/usr/bin/env bash
p=$1
FIELDS=$(sed -n '/^FIELDS="/,/"$/p' oracle/make-oracle.sh | sed 's/^FIELDS="//; s/"$//' | tr '\n' ' ')
FILTER=$(sed -n "s/^FILTER='\(.*\)'$/\1/p" oracle/make-oracle.sh)
EARGS=""; for f in $FIELDS; do EARGS="$EARGS -e $f"; done
src=$(echo "$p" | cut -d/ -f2); rest=$(echo "$p" | cut -d/ -f3- | tr '/' '_')
[[ -s oracle/${src}__${rest}.tsv ]] && exit 0
timeout 120 tshark -n -r "$p" -o dicom.tag_tree:TRUE -o hl7.display_raw:TRUE -Y "$FILTER" -T fields -E header=y \
  -E separator=/t -E occurrence=a -E 'aggregator=§' $EARGS > "oracle/${src}__${rest}.tsv" 2>/dev/null
timeout 120 tshark -n -r "$p" -o dicom.tag_tree:TRUE -Y 'dicom.tag or tls.handshake.certificate' -T pdml 2>/dev/null |
  python3 oracle/pdml_extract.py "oracle/${src}__${rest}" 2>/dev/null
exit 0
EOS
(cd "$P" && find ./tcpdump ./ndpi ./wireshark -type f | sort | xargs -P "$(nproc)" -n 1 bash "$W/one.sh")

echo "== inventory, and the shared captures linked in"
for d in "$SHARED"/pcaps/*/; do
  d=$(basename "$d"); [[ $d == oracle ]] && continue
  (cd "$SHARED/pcaps/$d" && find . -type f) | while read -r f; do
    mkdir -p "$P/$d/$(dirname "$f")"; ln -sf "$SHARED/pcaps/$d/$f" "$P/$d/$f"
  done
done
for f in "$SHARED"/pcaps/oracle/*; do [[ -e $P/oracle/$(basename "$f") ]] || ln -s "$f" "$P/oracle/"; done
python3 - "$P" "$SHARED/pcaps/INVENTORY.tsv" <<'EOF'
import csv, os, sys
csv.field_size_limit(1 << 30)
root, shared_inv = sys.argv[1], sys.argv[2]
out = open(os.path.join(root, 'INVENTORY.tsv'), 'w')
out.write("file\tbytes\tpackets\tlinktype\tprotocols_of_interest\trepo\tpath\tcommit\n")
for d in ('tcpdump', 'ndpi', 'wireshark'):
    for f in sorted(os.listdir(os.path.join(root, d))):
        rel, labels = d + '/' + f, set()
        if os.path.islink(os.path.join(root, rel)):
            continue  # a shared capture: its own inventory line follows
        ot = os.path.join(root, 'oracle', d + '__' + f + '.tsv')
        if os.path.exists(ot):
            with open(ot, encoding='utf-8', errors='replace') as fh:
                r = csv.reader(fh, delimiter='\t', quoting=csv.QUOTE_NONE)
                hdr = next(r, None) or []
                for row in r:
                    g = dict(zip(hdr, row)).get
                    pr = (g('_ws.col.Protocol') or '').lower()
                    for label, hit in (
                        ('arp', g('arp.src.hw_mac')), ('dhcp', g('dhcp.option.dhcp') or g('dhcp.hw.mac_addr')),
                        ('dhcpv6', pr == 'dhcpv6'), ('lldp', g('lldp.chassis.id') or g('lldp.chassis.id.mac')),
                        ('cdp', g('cdp.deviceid')), ('snmp', g('snmp.name')), ('nbns', g('nbns.name')),
                        ('http', g('http.host') or g('http.server') or g('http.user_agent')),
                        ('tls', g('tls.handshake.ja3') or g('tls.handshake.ja3s') or g('tls.handshake.extensions_server_name')),
                        ('smb', g('smb.native_os') or g('smb2.dialect') or pr.startswith('smb')),
                        ('browser', g('browser.server')), ('hl7', g('hl7.message.type')),
                        ('dicom', g('dicom.assoc.ae.calling')), ('ssdp', pr == 'ssdp')):
                        if hit:
                            labels.add(label)
                    if g('dns.qry.name'):
                        labels.add('mdns' if '5353' in (g('udp.srcport'), g('udp.dstport')) else 'dns')
        out.write(f"{rel}\t{os.path.getsize(os.path.join(root, rel))}\t0\tether\t{','.join(sorted(labels))}\t-\t-\t-\n")
with open(shared_inv) as fh:
    next(fh)
    out.writelines(fh)
EOF

echo "== oracle tests (WARD_SHARED_DATA=$W/data)"
WARD_SHARED_DATA=$W/data go test -count=1 -v -run 'Oracle' ./internal/dissect/... > "$W/oracle-tests.txt" 2>&1 || true
grep -a -E '(agree|covered) +[0-9]+/' "$W/oracle-tests.txt" | sed 's/^ *//' | sort | uniq
grep -a -E '^(--- FAIL|FAIL|ok)' "$W/oracle-tests.txt" | grep -v '^ok' || echo "every oracle test passed"
echo "disagreements: grep -a disagree $W/oracle-tests.txt"
