package http

import (
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

var _ dissect.TCPDissector = (*Dissector)(nil)

func meta() *dissect.Meta {
	return &dissect.Meta{
		Time:  time.Unix(1700000000, 0),
		SrcIP: netip.MustParseAddr("10.0.0.2"), DstIP: netip.MustParseAddr("10.0.0.1"),
		SrcPort: 40000, DstPort: 80, Transport: "tcp",
	}
}

// seg is one in-order delivery: direction and bytes.
type seg struct {
	c2s  bool
	data string
}

// feed delivers segs to a fresh stream and returns the observations as
// field lists and whether the stream reported done after the last one.
func feed(segs []seg) ([][]observe.Field, bool) {
	s := New().NewStream()
	var c observe.Collector
	done := false
	for _, g := range segs {
		m := meta()
		if !g.c2s {
			r := m.Reverse()
			m = &r
		}
		done = s.Data(m, g.c2s, []byte(g.data), &c)
		if done {
			break
		}
	}
	var out [][]observe.Field
	for _, o := range c.Obs {
		out = append(out, o.Fields)
	}
	return out, done
}

func f(kv ...string) []observe.Field {
	var out []observe.Field
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, observe.Field{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestStream(t *testing.T) {
	tests := []struct {
		name     string
		segs     []seg
		want     [][]observe.Field
		wantDone bool
	}{
		{
			name: "request and response, headers split across segments, query dropped",
			segs: []seg{
				{true, "GET /cgi-bin/status?serial=PUMP123&tok"},
				{true, "en=x HTTP/1.1\r\nHo"},
				{true, "st: pump-01.local\r\nUser-Agent: Alaris/9.1\r\n\r"},
				{true, "\n"},
				{false, "HTTP/1.1 302 Found\r\nServer: GoAhead-Webs\r\nLocation: /login.asp\r\nContent-Length: 0\r\n\r\n"},
			},
			want: [][]observe.Field{
				f("http.method", "GET", "http.uri", "/cgi-bin/status", "http.version", "1.1", "http.host", "pump-01.local", "http.user_agent", "Alaris/9.1"),
				f("http.version", "1.1", "http.status", "302", "http.server", "GoAhead-Webs", "http.location", "/login.asp"),
			},
			wantDone: false,
		},
		{
			name: "a request a proxy forwarded is flagged once; the client addresses are not kept",
			segs: []seg{
				{true, "GET /fw HTTP/1.1\r\nHost: updates.example.com\r\nUser-Agent: Philips IntelliVue\r\nVia: 1.1 proxy1\r\nX-Forwarded-For: 10.9.8.7\r\n\r\n"},
			},
			want: [][]observe.Field{
				f("http.method", "GET", "http.uri", "/fw", "http.version", "1.1", "http.host", "updates.example.com", "http.user_agent", "Philips IntelliVue", "http.forwarded", "1"),
			},
		},
		{
			name: "case-insensitive names, odd whitespace, folded value, bare LF",
			segs: []seg{
				{true, "GET / HTTP/1.0\nhOsT :   monitor-3  \nUSER-AGENT: Philips\n  IntelliVue/M.01\n\n"},
			},
			want: [][]observe.Field{
				f("http.method", "GET", "http.uri", "/", "http.version", "1.0", "http.host", "monitor-3", "http.user_agent", "Philips IntelliVue/M.01"),
			},
		},
		{
			name: "basic credentials are flagged, never kept; challenge realm",
			segs: []seg{
				{true, "GET /admin HTTP/1.1\r\nHost: h\r\n\r\n"},
				{false, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Infusion Admin\", charset=\"UTF-8\"\r\nX-Powered-By: PHP/5.2\r\nContent-Length: 5\r\n\r\nnope!"},
				{true, "GET /admin HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n\r\n"},
				{false, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"},
			},
			want: [][]observe.Field{
				f("http.method", "GET", "http.uri", "/admin", "http.version", "1.1", "http.host", "h"),
				f("http.version", "1.1", "http.status", "401", "http.auth_scheme", "basic", "http.www_authenticate_realm", "Infusion Admin", "http.x_powered_by", "PHP/5.2"),
				f("http.method", "GET", "http.uri", "/admin", "http.version", "1.1", "http.host", "h", "http.auth_scheme", "basic", "http.cleartext_credentials", "basic"),
				f("http.version", "1.1", "http.status", "200", "http.content_type", "text/html"),
			},
		},
		{
			name: "digest scheme",
			segs: []seg{{true, "GET / HTTP/1.1\r\nAuthorization: Digest username=\"u\", realm=\"r\"\r\n\r\n"}},
			want: [][]observe.Field{f("http.method", "GET", "http.uri", "/", "http.version", "1.1", "http.auth_scheme", "digest")},
		},
		{
			name: "keep-alive with chunked body, then the message bound ends the stream",
			segs: []seg{
				{true, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"},
				{false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
				{false, "HTTP/1.1 200 OK\r\nServer: s2\r\nContent-Length: 3\r\n\r\nabc"},
				{true, "GET /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\nGET /e HTTP/1.1\r\n\r\n"},
				{false, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n"},
			},
			want: [][]observe.Field{
				f("http.method", "GET", "http.uri", "/a", "http.version", "1.1"),
				f("http.method", "GET", "http.uri", "/b", "http.version", "1.1"),
				f("http.version", "1.1", "http.status", "200"),
				f("http.version", "1.1", "http.status", "200", "http.server", "s2"),
				f("http.method", "GET", "http.uri", "/c", "http.version", "1.1"),
				f("http.method", "GET", "http.uri", "/d", "http.version", "1.1"),
				f("http.version", "1.1", "http.status", "204"),
				f("http.version", "1.1", "http.status", "304"),
			},
			wantDone: true,
		},
		{
			name: "a large body is bulk transfer: done after the response headers",
			segs: []seg{
				{true, "GET /fw.bin HTTP/1.1\r\nHost: h\r\n\r\n"},
				{false, "HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\n" + strings.Repeat("x", 100)},
			},
			want: [][]observe.Field{
				f("http.method", "GET", "http.uri", "/fw.bin", "http.version", "1.1", "http.host", "h"),
				f("http.version", "1.1", "http.status", "200"),
			},
			wantDone: true,
		},
		{
			name: "HEAD response has no body",
			segs: []seg{
				{true, "HEAD / HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n"},
				{false, "HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"},
			},
			want: [][]observe.Field{
				f("http.method", "HEAD", "http.uri", "/", "http.version", "1.1"),
				f("http.method", "GET", "http.uri", "/x", "http.version", "1.1"),
				f("http.version", "1.1", "http.status", "200"),
				f("http.version", "1.1", "http.status", "404"),
			},
		},
		{
			name: "upgrade to websocket ends inspection",
			segs: []seg{
				{true, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"},
				{false, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"},
			},
			want: [][]observe.Field{
				f("http.method", "GET", "http.uri", "/ws", "http.version", "1.1"),
				f("http.version", "1.1", "http.status", "101"),
			},
			wantDone: true,
		},
		{
			name:     "not HTTP after all",
			segs:     []seg{{true, "\x16\x03\x01\x00\x05hello"}, {false, "garbage"}},
			wantDone: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, done := feed(tt.segs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("observations (-want +got):\n%s", diff)
			}
			if done != tt.wantDone {
				t.Errorf("done = %v, want %v", done, tt.wantDone)
			}
		})
	}
}

func TestCredentialNeverEmitted(t *testing.T) {
	got, _ := feed([]seg{{true, "GET / HTTP/1.1\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\nProxy-Authorization: Basic cHJveHk6cHc=\r\n\r\n"}})
	for _, o := range got {
		for _, fl := range o {
			if strings.Contains(fl.Value, "YWRt") || strings.Contains(fl.Value, "cHJveH") {
				t.Fatalf("credential leaked in %s=%q", fl.Key, fl.Value)
			}
		}
	}
}

func TestMatchTCP(t *testing.T) {
	d := New()
	tests := []struct {
		payload string
		want    bool
	}{
		{"GET / HTTP/1.1\r\n", true},
		{"\r\nPOST /x HTTP/1.0\r\n", true},
		{"GET /very/long/path/cut", true},
		{"HTTP/1.1 200 OK\r\n", true},
		{"PROPFIND /dav HTTP/1.1\r\n", true},
		{"FOO /x HTTP/1.1\r\n", true},
		{"FOO /x", false},
		{"GET  / HTTP/1.1\r\n", true}, // RFC 9112 3: any run of spaces may split the line
		{"GET                  /x HTTP/1.1\r\n", true},
		{"GET   \r\n", false},
		{"GET    ", false},
		{"NOTE  this is not HTTP\r\n", false},
		{"SSH-2.0-OpenSSH\r\n", false},
		{"\x16\x03\x01\x02\x00\x01", false},
		{"get / HTTP/1.1\r\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := d.MatchTCP(40000, 8080, true, []byte(tt.payload)); got != tt.want {
			t.Errorf("MatchTCP(%q) = %v, want %v", tt.payload, got, tt.want)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, name := range []string{"http_auth.pcap", "http-simple-get.pcap", "http.pcapng", "device_descriptions.pcap", "ipp_cups.pcap"} {
		t.Run(name, func(t *testing.T) {
			var obs []observe.Observation
			for _, fo := range dissecttest.RunChecked(t, filepath.Join("testdata", name), New()) {
				obs = append(obs, fo.Obs)
			}
			if len(obs) == 0 {
				t.Fatal("no observations")
			}
			testutil.Golden(t, "TestGolden_"+name, obs)
		})
	}
}

// TestDeviceDescriptions: the UPnP description and the WSD device metadata
// a device serves (testdata/capture-descriptions.sh), with a length or
// chunked, name it; another XML document (a FHIR Patient with a canary
// name, with a length and chunked) is not looked into.
func TestDeviceDescriptions(t *testing.T) {
	var got []map[string]string
	for _, fo := range dissecttest.RunChecked(t, filepath.Join("testdata", "device_descriptions.pcap"), New()) {
		b, _ := fo.Obs.MarshalJSON()
		if strings.Contains(string(b), "CANARY") {
			t.Errorf("a body that is no device description was read: %s", b)
		}
		if _, ok := fo.Obs.Get("http.device_description"); ok {
			got = append(got, dissecttest.FieldMap(fo.Obs))
		}
	}
	want := []map[string]string{
		{"http.device_description": "upnp", "http.device_manufacturer": "HP", "http.device_model": "HP LaserJet Pro M404dn",
			"http.device_model_number": "W1A53A", "http.device_serial": "PHBBK12345", "http.device_name": "HP LaserJet Pro M404dn (Ward 3 nurses' station)"},
		{"http.device_description": "wsd", "http.device_manufacturer": "Brother Industries, Ltd.", "http.device_model": "Brother HL-L2350DW series",
			"http.device_model_number": "HL-L2350DW", "http.device_serial": "E78123A9N654321", "http.device_name": "Brother HL-L2350DW series", "http.device_firmware": "1.72"},
		// Sent chunked, 200 bytes a chunk.
		{"http.device_description": "upnp", "http.device_manufacturer": "AXIS", "http.device_model": "AXIS P3245-V",
			"http.device_model_number": "P3245-V", "http.device_serial": "ACCC8E123456", "http.device_name": "AXIS P3245-V - ACCC8E123456 (ED triage)"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A description split across many segments, and one larger than the bound
// (stepped over, not read), frame as any body does.
func TestDescriptionFraming(t *testing.T) {
	body := `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device><manufacturer>Axis</manufacturer><modelName>P3245-V</modelName></device></root>`
	resp := "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	for _, step := range []int{1, 7, len(resp)} {
		s := New().NewStream()
		var c observe.Collector
		s.Data(meta(), true, []byte("GET /desc.xml HTTP/1.1\r\nHost: cam\r\n\r\n"), &c)
		for i := 0; i < len(resp); i += step {
			s.Data(meta(), false, []byte(resp[i:min(i+step, len(resp))]), &c)
		}
		var model string
		for _, o := range c.Obs {
			if v, ok := o.Get("http.device_model"); ok {
				model = v
			}
		}
		if model != "P3245-V" {
			t.Errorf("step %d: model %q", step, model)
		}
	}
	big := strings.Repeat(" ", maxDescription) + body
	s := New().NewStream()
	var c observe.Collector
	s.Data(meta(), true, []byte("GET /desc.xml HTTP/1.1\r\nHost: cam\r\n\r\n"), &c)
	s.Data(meta(), false, []byte("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: "+strconv.Itoa(len(big))+"\r\n\r\n"+big), &c)
	for _, o := range c.Obs {
		if _, ok := o.Get("http.device_model"); ok {
			t.Error("a body past the bound was read")
		}
	}
}

// A chunked description, in chunks of every size and delivered in pieces
// of every size, is read at its last chunk; one past the bound is not, and
// the next message on the connection is read as usual.
func TestChunkedDescriptionFraming(t *testing.T) {
	body := `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device><manufacturer>Axis</manufacturer><modelName>P3245-V</modelName></device></root>`
	chunked := func(b string, size int) string {
		var sb strings.Builder
		for i := 0; i < len(b); i += size {
			part := b[i:min(i+size, len(b))]
			sb.WriteString(strconv.FormatInt(int64(len(part)), 16) + ";ext=1\r\n" + part + "\r\n")
		}
		return sb.String() + "0\r\nX-Trailer: 1\r\n\r\n"
	}
	head := "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"
	next := "HTTP/1.1 200 OK\r\nServer: Axis\r\nContent-Length: 0\r\n\r\n"
	for _, size := range []int{1, 13, len(body)} {
		resp := head + chunked(body, size) + next
		for _, step := range []int{1, 5, len(resp)} {
			s := New().NewStream()
			var c observe.Collector
			s.Data(meta(), true, []byte("GET /desc.xml HTTP/1.1\r\nHost: cam\r\n\r\nGET / HTTP/1.1\r\nHost: cam\r\n\r\n"), &c)
			for i := 0; i < len(resp); i += step {
				s.Data(meta(), false, []byte(resp[i:min(i+step, len(resp))]), &c)
			}
			var model, server string
			for _, o := range c.Obs {
				if v, ok := o.Get("http.device_model"); ok {
					model = v
				}
				if v, ok := o.Get("http.server"); ok {
					server = v
				}
			}
			if model != "P3245-V" || server != "Axis" {
				t.Errorf("chunks of %d, step %d: model %q, next response's server %q", size, step, model, server)
			}
		}
	}
	big := strings.Repeat(" ", maxDescription) + body
	s := New().NewStream()
	var c observe.Collector
	s.Data(meta(), true, []byte("GET /desc.xml HTTP/1.1\r\nHost: cam\r\n\r\n"), &c)
	s.Data(meta(), false, []byte(head+chunked(big, 4096)), &c)
	for _, o := range c.Obs {
		if _, ok := o.Get("http.device_model"); ok {
			t.Error("a chunked body past the bound was read")
		}
	}
}

// bodySegments is a response body stream delivered after the headers.
func bodyStream(t testing.TB) (*stream, *dissect.Meta, []byte) {
	s := New().NewStream().(*stream)
	m := meta()
	var c observe.Collector
	s.Data(m, true, []byte("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 60000\r\n\r\n"), &c)
	if len(c.Obs) != 1 {
		t.Fatalf("want 1 observation, got %d", len(c.Obs))
	}
	return s, m, []byte(strings.Repeat("z", 10))
}

func TestBodyAllocatesNothing(t *testing.T) {
	s, m, body := bodyStream(t)
	var e observe.EmitterFunc = func(*observe.Observation) { t.Fatal("unexpected observation") }
	allocs := testing.AllocsPerRun(1000, func() {
		s.Data(m, true, body, e)
	})
	if allocs != 0 {
		t.Fatalf("body bytes allocate %v times per call", allocs)
	}
}

func BenchmarkBody(b *testing.B) {
	s, m, body := bodyStream(b)
	e := observe.EmitterFunc(func(*observe.Observation) {})
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s.Data(m, true, body, e)
	}
}

func BenchmarkRequest(b *testing.B) {
	req := []byte("GET /index.html?x=1 HTTP/1.1\r\nHost: example\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n\r\n")
	e := observe.EmitterFunc(func(*observe.Observation) {})
	m := meta()
	d := New()
	b.ReportAllocs()
	for b.Loop() {
		s := d.NewStream()
		s.Data(m, true, req, e)
	}
}

func TestGapResync(t *testing.T) {
	s := New().NewStream()
	var c observe.Collector
	s.Data(meta(), true, []byte("POST /a HTTP/1.1\r\nContent-Length: 1000\r\n\r\nxxxx"), &c)
	s.Gap(true)
	s.Data(meta(), true, []byte("middle of the lost body"), &c)
	s.Data(meta(), true, []byte("GET /b?q=1 HTTP/1.1\r\nHost: h2\r\n\r\n"), &c)
	var uris []string
	for _, o := range c.Obs {
		v, _ := o.Get("http.uri")
		uris = append(uris, v)
	}
	if diff := cmp.Diff([]string{"/a", "/b"}, uris); diff != "" {
		t.Errorf("after a gap (-want +got):\n%s", diff)
	}
}

// TestGapCutsHeaders: a header block cut by a hole (a capture's short snap
// length) still gives its complete lines, never the cut one, when the next
// data of that side comes or the conversation ends; then the next message
// is found.
func TestGapCutsHeaders(t *testing.T) {
	fields := func(c *observe.Collector) []map[string]string {
		var out []map[string]string
		for _, o := range c.Obs {
			m := map[string]string{}
			for _, f := range o.Fields {
				m[f.Key] = f.Value
			}
			out = append(out, m)
		}
		return out
	}
	t.Run("next data", func(t *testing.T) {
		s := New().NewStream()
		var c observe.Collector
		s.Data(meta(), true, []byte("GET /dev/info HTTP/1.1\r\nHost: pump-17\r\nUser-Agent: Mozilla/5.0 (Win"), &c)
		s.Gap(true)
		s.Data(meta(), true, []byte("GET /b HTTP/1.1\r\nHost: h2\r\n\r\n"), &c)
		want := []map[string]string{
			{"http.method": "GET", "http.uri": "/dev/info", "http.version": "1.1", "http.host": "pump-17"},
			{"http.method": "GET", "http.uri": "/b", "http.version": "1.1", "http.host": "h2"},
		}
		if diff := cmp.Diff(want, fields(&c)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("end of conversation", func(t *testing.T) {
		s := New().NewStream()
		var c observe.Collector
		s.Data(meta(), true, []byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), &c)
		s.Data(meta(), false, []byte("HTTP/1.1 200 OK\r\nServer: Allegro-Software-RomPager/4.01\r\nContent-Ty"), &c)
		s.Gap(false)
		s.(dissect.Ender).End(meta(), &c)
		got := fields(&c)
		if len(got) != 2 || got[1]["http.server"] != "Allegro-Software-RomPager/4.01" || got[1]["http.content_type"] != "" {
			t.Errorf("observations %v", got)
		}
		if c.Obs[1].SrcPort != meta().DstPort {
			t.Errorf("the server's observation is not from the server: %+v", c.Obs[1])
		}
	})
	t.Run("no complete start line", func(t *testing.T) {
		s := New().NewStream()
		var c observe.Collector
		s.Data(meta(), true, []byte("GET /very/long/path/that/was/cu"), &c)
		s.Gap(true)
		s.Data(meta(), true, []byte("tail of something\r\n"), &c)
		if len(c.Obs) != 0 {
			t.Errorf("a cut start line gave %v", fields(&c))
		}
	})
}
