package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/testutil"
)

func generate(t testing.TB, cfg Config) ([]byte, *Truth, Stats) {
	t.Helper()
	var buf bytes.Buffer
	tr, st, err := GenerateStats(context.Background(), cfg, &buf)
	if err != nil {
		t.Fatalf("GenerateStats(%+v): %v", cfg, err)
	}
	return buf.Bytes(), tr, st
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Devices: 40, Hours: 0.25, Seed: 42}
	a, ta, _ := generate(t, cfg)
	b, tb, _ := generate(t, cfg)
	if !bytes.Equal(a, b) {
		t.Fatalf("same seed gave different captures (%d vs %d bytes)", len(a), len(b))
	}
	ja, _ := json.Marshal(ta)
	jb, _ := json.Marshal(tb)
	if !bytes.Equal(ja, jb) {
		t.Fatal("same seed gave different truth")
	}
	cfg.Seed = 43
	c, _, _ := generate(t, cfg)
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave identical captures")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []Config{{Devices: 3, Hours: 1}, {Devices: 50, Hours: 0}} {
		_, err := Generate(context.Background(), cfg, io.Discard)
		if !errors.Is(err, ErrConfig) {
			t.Errorf("Generate(%+v) error = %v, want ErrConfig", cfg, err)
		}
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Generate(ctx, Config{Devices: 200, Hours: 2}, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate with cancelled context: %v, want context.Canceled", err)
	}
}

// TestDecodes reads the capture back and checks every frame decodes with
// gopacket's layers, timestamps never go backwards, and counts agree.
func TestDecodes(t *testing.T) {
	data, _, st := generate(t, Config{Devices: 80, Hours: 0.5, Seed: 7})
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Fatalf("link type %v, want Ethernet", r.LinkType())
	}
	var last time.Time
	var n int64
	seen := map[gopacket.LayerType]int{}
	for {
		pd, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("packet %d: %v", n+1, err)
		}
		n++
		if ci.Timestamp.Before(last) {
			t.Fatalf("packet %d: timestamp %v before previous %v", n, ci.Timestamp, last)
		}
		last = ci.Timestamp
		p := gopacket.NewPacket(pd, layers.LayerTypeEthernet, gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			t.Fatalf("packet %d (%s): decode failure: %v", n, ci.Timestamp, el.Error())
		}
		for _, l := range p.Layers() {
			seen[l.LayerType()]++
		}
		if ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			for _, l := range []gopacket.Layer{p.Layer(layers.LayerTypeTCP), p.Layer(layers.LayerTypeUDP)} {
				if tl, ok := l.(interface {
					SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
				}); ok {
					_ = tl.SetNetworkLayerForChecksum(ip)
				}
			}
		}
		if err, bad := p.VerifyChecksums(); err != nil || len(bad) > 0 {
			t.Fatalf("packet %d: checksums: %v %+v", n, err, bad)
		}
	}
	if n != st.Packets {
		t.Fatalf("read %d packets, Stats says %d", n, st.Packets)
	}
	for _, want := range []gopacket.LayerType{layers.LayerTypeARP, layers.LayerTypeDHCPv4, layers.LayerTypeDNS,
		layers.LayerTypeLinkLayerDiscovery, layers.LayerTypeCiscoDiscovery, layers.LayerTypeTCP, layers.LayerTypeUDP} {
		if seen[want] == 0 {
			t.Errorf("no %v layer in the capture", want)
		}
	}
}

func TestTruth(t *testing.T) {
	cfg := Config{Devices: 300, Hours: 1, Seed: 3}
	data, tr, _ := generate(t, cfg)
	if want := cfg.Devices + facilityCount(cfg.Devices); len(tr.Devices) != want {
		t.Fatalf("truth has %d devices, want %d (%d and the building controllers)", len(tr.Devices), want, cfg.Devices)
	}
	if !tr.Start.Equal(DefaultStart) || !tr.End.Equal(DefaultStart.Add(time.Hour)) {
		t.Errorf("truth window %v..%v", tr.Start, tr.End)
	}
	ids := map[string]TruthDevice{}
	macs := map[string]bool{}
	for _, d := range tr.Devices {
		ids[d.ID] = d
		if macs[d.MAC] {
			t.Errorf("duplicate MAC %s", d.MAC)
		}
		macs[d.MAC] = true
		if !canon.ValidType(d.Type) {
			t.Errorf("%s: type %q not in taxonomy", d.ID, d.Type)
		}
		if d.Criticality != string(canon.CriticalityOf(canon.DeviceType(d.Type))) {
			t.Errorf("%s: criticality %q", d.ID, d.Criticality)
		}
		if d.BehindGateway == "" && len(d.IPs) == 0 {
			t.Errorf("%s: no IP and not behind a gateway", d.ID)
		}
		if d.Manufacturer == "" || d.Model == "" || d.Version == "" || d.Serial == "" {
			t.Errorf("%s: incomplete identity %+v", d.ID, d)
		}
		// Every device's MAC must appear on the wire, directly or as the
		// EUI-64 in a gateway's HL7.
		needle := macBytes(t, d.MAC)
		if d.BehindGateway != "" {
			needle = []byte(eui64Of(needle))
		}
		if !bytes.Contains(data, needle) {
			t.Errorf("%s (%s): MAC/EUI-64 never appears in the capture", d.ID, d.Type)
		}
	}
	counts := map[string]int{}
	for i, e := range tr.Events {
		counts[e.Kind]++
		if _, ok := ids[e.DeviceID]; !ok {
			t.Errorf("event %d refers to unknown device %q", i, e.DeviceID)
		}
		if e.Time.Before(tr.Start) || e.Time.After(tr.End) {
			t.Errorf("event %d at %v outside the capture", i, e.Time)
		}
		if i > 0 && e.Time.Before(tr.Events[i-1].Time) {
			t.Errorf("events not in time order at %d", i)
		}
	}
	n := cfg.Devices
	want := map[string]int{EventNew: max(1, n/60), EventMoved: max(2, n/40), EventSoftwareUpdate: max(3, n/30),
		EventConfigurationChange: max(1, n/80), EventSilent: max(2, n/60), EventThreat: 3 * max(1, n/5000)}
	for k, w := range want {
		if counts[k] != w {
			t.Errorf("%d %q events, want %d", counts[k], k, w)
		}
	}
	if counts[EventReturned] > counts[EventSilent] {
		t.Errorf("%d returned events for %d silent", counts[EventReturned], counts[EventSilent])
	}
	// A moved device is truthfully at its new place at the end.
	for _, e := range tr.Events {
		if e.Kind == EventMoved {
			if got := ids[e.DeviceID].Location; got != e.After["location"] {
				t.Errorf("%s moved to %v but ends in %s", e.DeviceID, e.After["location"], got)
			}
			// The move is visible passively: option 82 names the new port.
			if sw, _ := e.After["switch"].(string); strings.HasPrefix(sw, "sw-") {
				circuit := sw + ":" + e.After["switch_port"].(string)
				if !bytes.Contains(data, append([]byte{1, byte(len(circuit))}, circuit...)) {
					t.Errorf("%s moved to %s but no DHCP option 82 circuit-id names it", e.DeviceID, circuit)
				}
			}
		}
	}
}

func macBytes(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	for _, p := range strings.Split(s, ":") {
		var v byte
		for _, c := range p {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c-'a') + 10
			}
		}
		b = append(b, v)
	}
	return b
}

func eui64Of(b []byte) string {
	var m mac
	copy(m[:], b)
	return m.eui64()
}

// TestPHICanaries checks that synthetic patient data is marked with the
// canary prefix, on the wire, and kept out of the truth.
func TestPHICanaries(t *testing.T) {
	data, tr, _ := generate(t, Config{Devices: 60, Hours: 1, Seed: 11})
	if !bytes.Contains(data, []byte("PID|||"+CanaryIDPrefix)) && !bytes.Contains(data, []byte("PID|1||"+CanaryIDPrefix)) {
		t.Error("no canary patient id in HL7 PID")
	}
	if !bytes.Contains(data, []byte("|"+CanaryPrefix)) {
		t.Error("no canary patient name in HL7")
	}
	// DICOM (0010,0010) PN in Explicit VR LE: tag, "PN", length, value.
	if !bytes.Contains(data, []byte{0x10, 0x00, 0x10, 0x00}) || !bytes.Contains(data, []byte(CanaryPrefix+"PATIENT")) {
		t.Error("no canary patient name in DICOM")
	}
	js, _ := json.Marshal(tr)
	if bytes.Contains(js, []byte("CANARY")) {
		t.Error("truth contains patient canaries; it must hold device facts only")
	}
}

func TestCatalog(t *testing.T) {
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	mfrs := map[string]bool{}
	types := map[string]bool{}
	for _, k := range cat.Kinds {
		mfrs[k.Canonical()] = true
		types[k.Type] = true
		if k.DICOM != nil && k.DICOM.Root != "" && !strings.HasPrefix(k.DICOM.Root, "1.") && !strings.HasPrefix(k.DICOM.Root, "2.") {
			t.Errorf("%s: implausible UID root %q", k.ID, k.DICOM.Root)
		}
		if (k.Speaks("hl7_pcd01") || k.Speaks("hl7_lab")) && k.HL7 == nil {
			t.Errorf("%s speaks HL7 without an hl7 spec", k.ID)
		}
		if k.Speaks("dicom_scu") && (k.DICOM == nil || k.DICOM.SOP == "") {
			t.Errorf("%s speaks DICOM without a SOP class", k.ID)
		}
		if k.Speaks("snmp") && k.SNMP == nil {
			t.Errorf("%s speaks SNMP without sysDescr", k.ID)
		}
	}
	if len(mfrs) < 40 {
		t.Errorf("%d canonical manufacturers in the catalogue, want >= 40", len(mfrs))
	}
	for _, ty := range canon.Types() {
		if ty != canon.Other && !types[string(ty)] {
			t.Errorf("no catalogue kind of type %s", ty)
		}
	}
}

// TestDemoUpToDate regenerates the bundled demo with the command line
// documented in docs/simulate.md and compares it with the committed files.
func TestDemoUpToDate(t *testing.T) {
	root := testutil.RepoRoot(t)
	pc := filepath.Join(root, "testdata", "demo", "hospital-demo.pcap")
	committed, err := os.ReadFile(pc)
	if err != nil {
		t.Skipf("demo capture not present: %v", err)
	}
	data, tr, _ := generate(t, DemoConfig())
	if !bytes.Equal(committed, data) {
		t.Fatalf("testdata/demo/hospital-demo.pcap is stale; regenerate it with the command in docs/simulate.md")
	}
	js, err := os.ReadFile(filepath.Join(root, "testdata", "demo", "hospital-demo.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got Truth
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Devices) != len(tr.Devices) || len(got.Events) != len(tr.Events) {
		t.Fatalf("demo truth is stale: %d/%d devices, %d/%d events", len(got.Devices), len(tr.Devices), len(got.Events), len(tr.Events))
	}
	if len(committed) > 4<<20 {
		t.Errorf("demo capture is %d bytes; keep it small", len(committed))
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	var pkts, byts int64
	for b.Loop() {
		_, st, err := GenerateStats(context.Background(), Config{Devices: 1000, Hours: 0.25, Seed: 1}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		pkts += st.Packets
		byts += st.Bytes
	}
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "packets/s")
	b.SetBytes(byts / int64(b.N))
}

// FuzzGenerate checks that any seed and small size yields a capture whose
// frames all decode.
func FuzzGenerate(f *testing.F) {
	f.Add(uint64(1), uint8(20))
	f.Add(uint64(99), uint8(64))
	f.Fuzz(func(t *testing.T, seed uint64, n uint8) {
		cfg := Config{Devices: 12 + int(n%64), Hours: 0.05, Seed: seed}
		data, _, _ := generate(t, cfg)
		r, err := pcapgo.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for {
			pd, _, err := r.ReadPacketData()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if el := gopacket.NewPacket(pd, layers.LayerTypeEthernet, gopacket.Default).ErrorLayer(); el != nil {
				t.Fatalf("decode failure: %v", el.Error())
			}
		}
	})
}

// TestSerialsUnique: a manufacturer never ships two devices with one serial
// number, even when its pattern is short and the hospital large (the
// inventory merges devices by serial, so the truth must not repeat them).
func TestSerialsUnique(t *testing.T) {
	truth, err := Generate(context.Background(), Config{Devices: 20000, Hours: 0.01, Seed: 5}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, d := range truth.Devices {
		if d.Serial == "" {
			continue
		}
		k := d.Manufacturer + "\x00" + strings.ToUpper(d.Serial)
		if other, dup := seen[k]; dup {
			t.Errorf("%s serial %s on %s and %s", d.Manufacturer, d.Serial, other, d.ID)
		}
		seen[k] = d.ID
	}
	if len(seen) < 10000 {
		t.Fatalf("only %d devices with serials", len(seen))
	}
}

// TestAddressesUnique: no two devices of a large hospital share an address
// (building-automation controllers take static ones, clear of DHCP).
func TestAddressesUnique(t *testing.T) {
	truth, err := Generate(context.Background(), Config{Devices: 5000, Hours: 0.3, Seed: 11}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{}
	for _, d := range truth.Devices {
		for _, ip := range d.IPs {
			if other, dup := owner[ip]; dup {
				t.Errorf("%s on %s and %s", ip, other, d.ID)
			}
			owner[ip] = d.ID
		}
	}
}
