package ssdp

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

func TestGolden(t *testing.T) {
	for _, name := range []string{"ssdp-m-search-ua", "ssdp-m-search"} {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, f := range dissecttest.RunCapture(t, filepath.Join("testdata", name+".pcap"), New()) {
				obs = append(obs, f.Obs)
			}
			testutil.Golden(t, name, obs)
		})
	}
}

func fields(obs []observe.Observation) []map[string]string {
	var out []map[string]string
	for _, o := range obs {
		m := map[string]string{}
		for _, f := range o.Fields {
			m[f.Key] = f.Value
		}
		out = append(out, m)
	}
	return out
}

func TestDissectUDP(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		want    []map[string]string
		wantErr error
	}{
		{
			name: "NOTIFY alive from a device",
			msg: "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nCACHE-CONTROL: max-age=1800\r\n" +
				"LOCATION: http://10.1.2.3:49152/description.xml\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n" +
				"SERVER: Linux/4.9 UPnP/1.0 GE-Healthcare-Monitor/2.1\r\nUSN: uuid:0a1b2c3d::upnp:rootdevice\r\n\r\n",
			want: []map[string]string{{
				"ssdp.method": "NOTIFY", "ssdp.location": "http://10.1.2.3:49152/description.xml", "ssdp.nt": "upnp:rootdevice",
				"ssdp.nts": "ssdp:alive", "ssdp.server": "Linux/4.9 UPnP/1.0 GE-Healthcare-Monitor/2.1", "ssdp.usn": "uuid:0a1b2c3d::upnp:rootdevice",
			}},
		},
		{
			name: "search response, lower-case headers and bare LF",
			msg:  "HTTP/1.1 200 OK\nst: urn:schemas-upnp-org:device:MediaRenderer:1\nserver:  Windows/10 UPnP/1.0 Acme/3 \nlocation:http://10.0.0.5/d.xml\nusn: uuid:x\n\nbody: ignored\n",
			want: []map[string]string{{
				"ssdp.method": "response", "ssdp.st": "urn:schemas-upnp-org:device:MediaRenderer:1",
				"ssdp.server": "Windows/10 UPnP/1.0 Acme/3", "ssdp.location": "http://10.0.0.5/d.xml", "ssdp.usn": "uuid:x",
			}},
		},
		{
			name: "M-SEARCH names the client, first header wins",
			msg:  "M-SEARCH * HTTP/1.1\r\nUser-Agent: Chrome/99\r\nuser-agent: second\r\nST: ssdp:all\r\nnot a header\r\n",
			want: []map[string]string{{"ssdp.method": "M-SEARCH", "ssdp.user_agent": "Chrome/99", "ssdp.st": "ssdp:all"}},
		},
		{name: "not SSDP", msg: "GET / HTTP/1.1\r\n\r\n", wantErr: dissect.ErrMalformed},
		{name: "empty", msg: "", wantErr: dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			err := New().DissectUDP(&dissect.Meta{}, []byte(tc.msg), &c)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, fields(c.Obs)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatchUDP(t *testing.T) {
	tests := []struct {
		sp, dp uint16
		p      string
		want   bool
	}{
		{50000, 1900, "M-SEARCH * HTTP/1.1\r\n", true},
		{42253, 32412, "M-SEARCH * HTTP/1.1\r\n", true}, // Plex GDM reuses the syntax
		{1900, 50000, "HTTP/1.1 200 OK\r\n", true},
		{5000, 50000, "HTTP/1.1 200 OK\r\n", false},
		{50000, 1900, "\x00\x01binary", false},
	}
	for _, tc := range tests {
		if got := New().MatchUDP(tc.sp, tc.dp, []byte(tc.p)); got != tc.want {
			t.Errorf("MatchUDP(%d, %d, %q) = %v, want %v", tc.sp, tc.dp, tc.p, got, tc.want)
		}
	}
}

// TestOracle compares with tshark's HTTP-over-UDP fields for SSDP rows.
// (tshark 4.0 does not recognise the M-SEARCH on port 32412 at all.)
func TestOracle(t *testing.T) {
	dir := testutil.SharedData(t, "pcaps")
	a := dissecttest.NewAgreement()
	for _, rel := range []string{"ndpi/ssdp-m-search-ua.pcap", "tcpdump/eapon1.pcap", "ndpi/iphone.pcap", "ndpi/android.pcap"} {
		path := filepath.Join(dir, rel)
		want := dissecttest.Oracle(t, path)
		got := map[int]observe.Observation{}
		for _, f := range dissecttest.RunCapture(t, path, New()) {
			got[f.Frame] = f.Obs
		}
		for frame, row := range want {
			if row["_ws.col.Protocol"][0] != "SSDP" {
				continue
			}
			o, ok := got[frame]
			a.Check(rel+" frames", frame, boolStr(ok), "true", "")
			for _, p := range []struct{ ours, theirs string }{
				{"ssdp.user_agent", "http.user_agent"},
				{"ssdp.server", "http.server"},
				{"ssdp.location", "http.location"},
			} {
				if th, ok := row[p.theirs]; ok {
					ours, _ := o.Get(p.ours)
					a.Check(rel+" "+p.ours, frame, ours, th[0], "")
				}
			}
		}
		for frame := range got {
			if row, ok := want[frame]; !ok || row["_ws.col.Protocol"][0] != "SSDP" {
				a.Check(rel+" frames", frame, "ssdp", "", "ward emitted for a frame tshark does not call SSDP")
			}
		}
	}
	a.Report(t)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestNoAllocWithoutObservation(t *testing.T) {
	d := New()
	m := &dissect.Meta{}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	for _, p := range []string{"", "GET / HTTP/1.1\r\n", "\n\n"} {
		if n := testing.AllocsPerRun(100, func() { _ = d.DissectUDP(m, []byte(p), e) }); n != 0 {
			t.Errorf("%q: %.0f allocs, want 0", p, n)
		}
	}
	dns := []byte{0x12, 0x34, 1, 0, 0, 1}
	if n := testing.AllocsPerRun(100, func() { d.MatchUDP(53, 1900, dns) }); n != 0 {
		t.Errorf("MatchUDP: %.0f allocs", n)
	}
}

func BenchmarkDissectUDP(b *testing.B) {
	var p []byte
	for _, pl := range dissecttest.MatchedUDPPayloads(b, filepath.Join("testdata", "ssdp-m-search-ua.pcap"), New().MatchUDP) {
		p = pl
	}
	d := New()
	m := &dissect.Meta{}
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		_ = d.DissectUDP(m, p, e)
	}
}
