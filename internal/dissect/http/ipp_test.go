package http

import (
	"bufio"
	"bytes"
	"io"
	nethttp "net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// IPP message builders (RFC 8010 section 3).

// ippMsg is a response: version 2.0, successful-ok, request-id 1, then parts.
func ippMsg(parts ...[]byte) []byte {
	b := []byte{2, 0, 0, 0, 0, 0, 0, 1}
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// ippAttr is one attribute (or, with name "", an additional value).
func ippAttr(tag byte, name, value string) []byte {
	b := []byte{tag, byte(len(name) >> 8), byte(len(name))}
	b = append(b, name...)
	b = append(b, byte(len(value)>>8), byte(len(value)))
	return append(b, value...)
}

// ippLang is a textWithLanguage or nameWithLanguage value.
func ippLang(lang, text string) string {
	return string([]byte{byte(len(lang) >> 8), byte(len(lang))}) + lang + string([]byte{byte(len(text) >> 8), byte(len(text))}) + text
}

var (
	ippOpGroup = []byte{0x01}
	ippJobs    = []byte{0x02}
	ippPrinter = []byte{0x04}
	ippEndTag  = []byte{0x03}
	ippCharset = ippAttr(0x47, "attributes-charset", "utf-8")
	// A job's attributes: personal data that must never be read.
	ippJobGroup = bytes.Join([][]byte{ippJobs, ippAttr(0x21, "job-id", "\x00\x00\x00\x07"),
		ippAttr(0x42, "job-name", "CANARY-JOB-NAME"), ippAttr(0x42, "job-originating-user-name", "canary-user"),
		ippAttr(0x42, "printer-name", "CANARY-IN-JOB-GROUP")}, nil)
)

// ippExchange is a POST of an IPP request carrying a canary document and
// user name, and a 200 response with body, with a Content-Length or chunked
// in chunks of 5, delivered step bytes at a time; it returns the
// observations that describe a device and all of them.
func ippExchange(body []byte, chunked bool, step int) (desc []map[string]string, all []observe.Observation) {
	reqBody := string(ippMsg(ippOpGroup, ippCharset, ippAttr(0x42, "requesting-user-name", "canary-user"),
		ippAttr(0x42, "job-name", "CANARY-JOB-NAME"), ippEndTag)) + "%!PS CANARY-DOCUMENT"
	req := "POST /ipp/print HTTP/1.1\r\nHost: printer\r\nContent-Type: application/ipp\r\nContent-Length: " +
		strconv.Itoa(len(reqBody)) + "\r\n\r\n" + reqBody
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\n"
	if chunked {
		var sb strings.Builder
		for i := 0; i < len(body); i += 5 {
			part := body[i:min(i+5, len(body))]
			sb.WriteString(strconv.FormatInt(int64(len(part)), 16) + "\r\n" + string(part) + "\r\n")
		}
		resp += "Transfer-Encoding: chunked\r\n\r\n" + sb.String() + "0\r\n\r\n"
	} else {
		resp += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body)
	}
	s := New().NewStream()
	var c observe.Collector
	for i := 0; i < len(req); i += step {
		s.Data(meta(), true, []byte(req[i:min(i+step, len(req))]), &c)
	}
	r := meta().Reverse()
	for i := 0; i < len(resp); i += step {
		s.Data(&r, false, []byte(resp[i:min(i+step, len(resp))]), &c)
	}
	for _, o := range c.Obs {
		if _, ok := o.Get("http.device_description"); ok {
			desc = append(desc, dissecttest.FieldMap(o))
		}
	}
	return desc, c.Obs
}

func TestIPPResponse(t *testing.T) {
	hpID := "MFG:HP;MDL:HP LaserJet Pro M404dn;CMD:PJL,PCL,URF;CLS:PRINTER;SN:PHBBK12345;"
	longID := "MFG:Big;MDL:" + strings.Repeat("m", 1500) + ";"
	tests := []struct {
		name string
		body []byte
		want map[string]string // nil: no description
	}{
		{
			name: "short device id keys; firmware string; printer-name",
			body: ippMsg(ippOpGroup, ippCharset, ippPrinter,
				ippAttr(0x41, "printer-make-and-model", "HP LaserJet Pro M404dn"),
				ippAttr(0x41, "printer-device-id", hpID),
				ippAttr(0x41, "printer-firmware-string-version", "002.2308A"),
				ippAttr(0x30, "printer-firmware-version", "\x00\x02\x23\x08"),
				ippAttr(0x42, "printer-name", "NPI9B9F04"), ippAttr(0x41, "printer-info", "HP (Ward 3)"),
				ippAttr(0x41, "printer-location", "Ward 3 nurses' station"),
				ippAttr(0x45, "printer-uuid", "urn:uuid:564e4333-3737-3930-3336-308c8d9b9f04"), ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_manufacturer": "HP", "http.device_model": "HP LaserJet Pro M404dn",
				"http.device_serial": "PHBBK12345", "http.device_firmware": "002.2308A", "http.device_name": "NPI9B9F04",
				"http.device_location": "Ward 3 nurses' station", "http.device_make_and_model": "HP LaserJet Pro M404dn",
				"http.device_uuid": "urn:uuid:564e4333-3737-3930-3336-308c8d9b9f04", "http.device_id": hpID},
		},
		{
			name: "long device id keys in any case with spaces; CUPS queue; info when no name",
			body: ippMsg(ippOpGroup, ippCharset, ippPrinter,
				ippAttr(0x41, "printer-device-id", " manufacturer : Zebra Technologies;Command Set:ZPL;Model:ZTC ZD510-300dpi ZPL; SerialNumber:D2J193401234"),
				ippAttr(0x41, "printer-info", "Ward 3 wristband printer"), ippAttr(0x23, "printer-type", "\x00\x00\x10\x44"), ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_manufacturer": "Zebra Technologies", "http.device_model": "ZTC ZD510-300dpi ZPL",
				"http.device_serial": "D2J193401234", "http.device_name": "Ward 3 wristband printer",
				"http.device_id":        "manufacturer : Zebra Technologies;Command Set:ZPL;Model:ZTC ZD510-300dpi ZPL; SerialNumber:D2J193401234",
				"http.ipp_print_server": "cups"},
		},
		{
			name: "SERN; no model in the id: make-and-model is the model; firmware octets as hex",
			body: ippMsg(ippPrinter, ippAttr(0x41, "printer-device-id", "MFG:Brother;CMD:PCL;SERN:E78123A9N654321;"),
				ippAttr(0x41, "printer-make-and-model", "Brother HL-L2350DW series"),
				ippAttr(0x30, "printer-firmware-version", "\x01\x72\x00\xff"), ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_manufacturer": "Brother", "http.device_model": "Brother HL-L2350DW series",
				"http.device_serial": "E78123A9N654321", "http.device_firmware": "017200ff", "http.device_make_and_model": "Brother HL-L2350DW series",
				"http.device_id": "MFG:Brother;CMD:PCL;SERN:E78123A9N654321;"},
		},
		{
			name: "firmware version octets that are text; additional values: the first is kept",
			body: ippMsg(ippPrinter, ippAttr(0x30, "printer-firmware-version", "20230816"), ippAttr(0x30, "", "99999999"),
				ippAttr(0x41, "printer-location", "OR 2"), ippAttr(0x41, "", "OR 3"), ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_firmware": "20230816", "http.device_location": "OR 2"},
		},
		{
			name: "WithLanguage values lose their language",
			body: ippMsg(ippPrinter, ippAttr(0x35, "printer-location", ippLang("de", "Station 3, Kühlraum")),
				ippAttr(0x36, "printer-name", ippLang("en-us", "Lab label printer")), ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_location": "Station 3, Kühlraum", "http.device_name": "Lab label printer"},
		},
		{
			name: "collections are stepped over, nested, with members named like kept attributes",
			body: ippMsg(ippPrinter,
				ippAttr(0x34, "media-col-default", ""),
				ippAttr(0x4a, "", "printer-name"), ippAttr(0x42, "", "CANARY-MEMBER"),
				ippAttr(0x4a, "", "media-size"), ippAttr(0x34, "", ""),
				ippAttr(0x4a, "", "x-dimension"), ippAttr(0x21, "", "\x00\x00\x52\x08"),
				ippAttr(0x37, "", ""),
				ippAttr(0x37, "", ""),
				ippAttr(0x34, "printer-location", ""), ippAttr(0x4a, "", "room"), ippAttr(0x41, "", "CANARY-COLLECTION-VALUE"), ippAttr(0x37, "", ""),
				ippAttr(0x42, "printer-name", "After"), ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_name": "After"},
		},
		{
			name: "job attributes are never read, wherever they come",
			body: ippMsg(ippOpGroup, ippCharset, ippJobGroup, ippPrinter, ippAttr(0x41, "printer-make-and-model", "Epson"), ippJobGroup, ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_model": "Epson", "http.device_make_and_model": "Epson"},
		},
		{
			name: "a Get-Jobs answer: nothing",
			body: ippMsg(ippOpGroup, ippCharset, ippJobGroup, ippJobGroup, ippEndTag),
		},
		{
			name: "operation and unsupported groups are not the printer's",
			body: ippMsg(ippOpGroup, ippAttr(0x42, "printer-name", "op"), []byte{0x05}, ippAttr(0x41, "printer-location", "unsupported"), ippEndTag),
		},
		{
			name: "printer state only (ndpi ipp.pcap): nothing",
			body: ippMsg(ippOpGroup, ippCharset, ippPrinter, ippAttr(0x23, "printer-state", "\x00\x00\x00\x03"),
				ippAttr(0x44, "printer-state-reasons", "none"), ippEndTag),
		},
		{
			name: "a print server's list of printers names none of them as the responder",
			body: ippMsg(ippOpGroup, ippPrinter, ippAttr(0x42, "printer-name", "A"), ippPrinter, ippAttr(0x42, "printer-name", "B"), ippEndTag),
		},
		{
			name: "wrong syntax: a uuid as text, a location as keyword, a firmware version as text",
			body: ippMsg(ippPrinter, ippAttr(0x41, "printer-uuid", "urn:uuid:x"), ippAttr(0x44, "printer-location", "kw"),
				ippAttr(0x41, "printer-firmware-version", "1.0"), ippAttr(0x42, "printer-name", "P"), ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_name": "P"},
		},
		{
			name: "an empty value is absent: the next value is not taken for it",
			body: ippMsg(ippPrinter, ippAttr(0x41, "printer-location", ""), ippAttr(0x41, "", "second"), ippAttr(0x42, "printer-name", "P"), ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_name": "P"},
		},
		{
			name: "long names are stepped over; long values capped",
			body: ippMsg(ippPrinter, ippAttr(0x41, strings.Repeat("printer-name", 20), "x"), ippAttr(0x41, "printer-device-id", longID), ippEndTag),
			want: map[string]string{"http.device_description": "ipp", "http.device_manufacturer": "Big", "http.device_model": strings.Repeat("m", 256),
				"http.device_id": "MFG:Big;MDL:" + strings.Repeat("m", 256-12)},
		},
		{
			name: "truncated attribute, no end tag: nothing",
			body: ippMsg(ippPrinter, ippAttr(0x42, "printer-name", "P"), ippAttr(0x41, "printer-location", "Ward 3")[:12]),
		},
		{
			name: "a value length past the end: nothing",
			body: ippMsg(ippPrinter, ippAttr(0x42, "printer-name", "P"), []byte{0x41, 0, 16}, []byte("printer-location"), []byte{0xff, 0xff, 'x', 3}),
		},
		{
			name: "a name length past the end: nothing",
			body: ippMsg(ippPrinter, ippAttr(0x42, "printer-name", "P"), []byte{0x41, 0xff, 0xff, 'p', 3}),
		},
		{
			name: "not IPP: version 0x30",
			body: append([]byte("0.1"), ippMsg(ippPrinter, ippAttr(0x42, "printer-name", "P"), ippEndTag)...),
		},
		{
			name: "end tag first, printer group after: nothing",
			body: ippMsg(ippEndTag, ippPrinter, ippAttr(0x42, "printer-name", "P"), ippEndTag),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []map[string]string
			if tt.want != nil {
				want = []map[string]string{tt.want}
			}
			for _, chunked := range []bool{false, true} {
				for _, step := range []int{1, 3, 1 << 20} {
					got, all := ippExchange(tt.body, chunked, step)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("chunked %v, step %d (-want +got):\n%s", chunked, step, diff)
					}
					dissecttest.NoCanary(t, all, "canary")
				}
			}
		})
	}
}

// An IPP response is read only as a 200 response's body, and the next
// message on the connection is read as usual; a body longer than maxIPP is
// not read, a chunked one past MaxBodySkip but within maxIPP is.
func TestIPPFraming(t *testing.T) {
	body := ippMsg(ippPrinter, ippAttr(0x42, "printer-name", "P"), ippEndTag)
	pad := func(n int) []byte { // a job group holding n bytes of values
		var b []byte
		for n > 0 {
			k := min(n, 30000)
			b = append(b, ippAttr(0x41, "", strings.Repeat("j", k))...)
			n -= k
		}
		return append(ippAttr(0x41, "job-message", ""), b...)
	}
	next := "HTTP/1.1 200 OK\r\nServer: next\r\nContent-Length: 0\r\n\r\n"
	run := func(head string, b []byte) (name, server string) {
		s := New().NewStream()
		var c observe.Collector
		s.Data(meta(), true, []byte("POST /ipp HTTP/1.1\r\nContent-Length: 0\r\n\r\nPOST /ipp HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), &c)
		r := meta().Reverse()
		s.Data(&r, false, append(append([]byte(head), b...), next...), &c)
		for _, o := range c.Obs {
			if v, ok := o.Get("http.device_name"); ok {
				name = v
			}
			if v, ok := o.Get("http.server"); ok {
				server = v
			}
		}
		return name, server
	}
	chunk := func(b []byte) []byte {
		var out []byte
		for i := 0; i < len(b); i += 4096 {
			p := b[i:min(i+4096, len(b))]
			out = append(out, strconv.FormatInt(int64(len(p)), 16)+"\r\n"...)
			out = append(append(out, p...), "\r\n"...)
		}
		return append(out, "0\r\n\r\n"...)
	}
	cl := func(ct string, b []byte) string {
		return "HTTP/1.1 200 OK\r\nContent-Type: " + ct + "\r\nContent-Length: " + strconv.Itoa(len(b)) + "\r\n\r\n"
	}
	const te = "HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nTransfer-Encoding: chunked\r\n\r\n"
	mid := ippMsg(ippJobs, pad(100<<10), ippPrinter, ippAttr(0x42, "printer-name", "P"), ippEndTag)
	big := ippMsg(ippJobs, pad(maxIPP), ippPrinter, ippAttr(0x42, "printer-name", "P"), ippEndTag)
	tests := []struct {
		name, head     string
		body           []byte
		wantName, next string
	}{
		{"content-length", cl("application/ipp; charset=utf-8", body), body, "P", "next"},
		{"chunked", te, chunk(body), "P", "next"},
		{"other content type", cl("application/ipp-x", body), body, "", "next"},
		{"not 200", strings.Replace(cl("application/ipp", body), "200 OK", "404 Not Found", 1), body, "", "next"},
		{"content-length between MaxBodySkip and maxIPP", cl("application/ipp", mid), mid, "P", "next"},
		{"chunked between MaxBodySkip and maxIPP", te, chunk(mid), "P", "next"},
		{"content-length past maxIPP: bulk", cl("application/ipp", big), big, "", ""},
		{"chunked past maxIPP: bulk", te, chunk(big), "", ""},
	}
	for _, tt := range tests {
		name, server := run(tt.head, tt.body)
		if name != tt.wantName || server != tt.next {
			t.Errorf("%s: name %q, next response's server %q; want %q, %q", tt.name, name, server, tt.wantName, tt.next)
		}
	}
}

// TestIPPCapture: what ipptool read from cupsd and ippeveprinter
// (testdata/capture-ipp.sh). The canary job name, user and document sent
// to both, in requests and in the job attributes of responses, never
// reach an observation.
func TestIPPCapture(t *testing.T) {
	var got []map[string]string
	var all []observe.Observation
	for _, fo := range dissecttest.RunChecked(t, filepath.Join("testdata", "ipp_cups.pcap"), New()) {
		all = append(all, fo.Obs)
		if _, ok := fo.Obs.Get("http.device_description"); ok {
			got = append(got, dissecttest.FieldMap(fo.Obs))
		}
	}
	dissecttest.NoCanary(t, all, "canary", "PATIENT", "MRN")
	want := []map[string]string{
		{"http.device_description": "ipp", "http.device_manufacturer": "Zebra Technologies", "http.device_model": "ZTC ZD510-300dpi ZPL",
			"http.device_serial": "D2J193401234", "http.device_name": "WARD3", "http.device_location": "Ward 3 nurses' station",
			"http.device_make_and_model": "Zebra ZD510-HC Wristband Printer, 1.0", "http.device_uuid": "urn:uuid:d2809a14-7cfe-3a5e-6b70-f9defb904d33",
			"http.device_id":        "MANUFACTURER:Zebra Technologies;COMMAND SET:ZPL;MODEL:ZTC ZD510-300dpi ZPL;CLASS:PRINTER;SERIALNUMBER:D2J193401234;",
			"http.ipp_print_server": "cups"},
		{"http.device_description": "ipp", "http.device_manufacturer": "HP", "http.device_model": "HP LaserJet Pro M404dn",
			"http.device_serial": "PHBBK12345", "http.device_firmware": "002.2308A", "http.device_name": "NPI9B9F04",
			"http.device_location": "Ward 3 nurses' station", "http.device_make_and_model": "HP LaserJet Pro M404dn",
			"http.device_uuid": "urn:uuid:67b8e629-30e9-30fe-7977-39acafd26e50",
			"http.device_id":   "MFG:HP;MDL:HP LaserJet Pro M404dn;CMD:PJL,PCL,PCLXL,PWGRaster,URF,PDF;CLS:PRINTER;DES:W1A53A;CID:HPLJPDLV1;SN:PHBBK12345;"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestIPPOracle checks each printer description against tshark's reading
// of the same response (<name>.values.tsv, from capture-ipp.sh): every
// response frame with printer-description attributes has one description
// from the same sender port, emitted at or before that frame (Ward reads
// up to the end-of-attributes tag; tshark reports once the last chunk is
// in), with the same values. The shared ndpi ipp.pcap, an HP JetDirect of
// 2008 answering CUPS 1.3 with printer-state attributes only, gives none.
func TestIPPOracle(t *testing.T) {
	for _, tc := range []struct{ name, pcap string }{
		{"ipp_cups", filepath.Join("testdata", "ipp_cups.pcap")},
		{"ndpi_ipp", filepath.Join(testutil.SharedData(t, "pcaps"), "ndpi", "ipp.pcap")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := dissecttest.ReadOracle(t, filepath.Join("testdata", tc.name+".oracle.tsv"))
			want := ippOracleWant(t, filepath.Join("testdata", tc.name+".values.tsv"))
			var got []dissecttest.Framed
			for _, fo := range dissecttest.RunChecked(t, tc.pcap, New()) {
				if _, ok := fo.Obs.Get("http.device_description"); ok {
					got = append(got, fo)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d descriptions, tshark shows %d responses with printer attributes", len(got), len(want))
			}
			for i, w := range want {
				g := got[i]
				if port := dissecttest.First(rows[w.frame]["tcp.srcport"]); g.Frame > w.frame || strconv.Itoa(int(g.Obs.SrcPort)) != port {
					t.Errorf("frame %d (port %s): description at frame %d from port %d", w.frame, port, g.Frame, g.Obs.SrcPort)
				}
				m := dissecttest.FieldMap(g.Obs)
				delete(m, "http.ipp_print_server")
				if diff := cmp.Diff(w.fields, m); diff != "" {
					t.Errorf("frame %d (-tshark +ward):\n%s", w.frame, diff)
				}
			}
			t.Logf("%d descriptions agree with tshark", len(want))
		})
	}
}

type ippOracleFrame struct {
	frame  int
	fields map[string]string
}

// ippOracleWant reads a values.tsv (frame, group, attribute, first value)
// and derives the description of each frame that has printer-description
// attributes, splitting the device id independently of deviceIDValue.
func ippOracleWant(t *testing.T, path string) []ippOracleFrame {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	attrs := map[int]map[string]string{}
	var frames []int
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first {
			continue
		}
		n, err := strconv.Atoi(cols[0])
		if err != nil || len(cols) != 4 {
			t.Fatalf("%s: bad row %q", path, sc.Text())
		}
		if cols[1] != "printer-attributes-tag" || ippField([]byte(cols[2])) < 0 || cols[2] == "printer-type" {
			continue
		}
		if attrs[n] == nil {
			attrs[n] = map[string]string{}
			frames = append(frames, n)
		}
		if _, dup := attrs[n][cols[2]]; !dup {
			attrs[n][cols[2]] = cols[3]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var out []ippOracleFrame
	for _, n := range frames {
		a := attrs[n]
		id := map[string]string{}
		for _, kv := range strings.Split(a["printer-device-id"], ";") {
			if k, v, ok := strings.Cut(kv, ":"); ok {
				id[strings.ToUpper(strings.TrimSpace(k))] = strings.TrimSpace(v)
			}
		}
		pick := func(vs ...string) string {
			for _, v := range vs {
				if v != "" {
					return v
				}
			}
			return ""
		}
		w := map[string]string{
			"http.device_description":    "ipp",
			"http.device_manufacturer":   pick(id["MFG"], id["MANUFACTURER"]),
			"http.device_model":          pick(id["MDL"], id["MODEL"], a["printer-make-and-model"]),
			"http.device_serial":         pick(id["SN"], id["SERN"], id["SERIALNUMBER"]),
			"http.device_firmware":       pick(a["printer-firmware-string-version"], a["printer-firmware-version"]),
			"http.device_name":           pick(a["printer-name"], a["printer-info"]),
			"http.device_location":       a["printer-location"],
			"http.device_make_and_model": a["printer-make-and-model"],
			"http.device_uuid":           a["printer-uuid"],
			"http.device_id":             a["printer-device-id"],
		}
		for k, v := range w {
			if v == "" {
				delete(w, k)
			} else {
				w[k] = dissect.Cap(v, 256)
			}
		}
		out = append(out, ippOracleFrame{n, w})
	}
	return out
}

// ippBodies returns the IPP bodies of the responses in the capture at
// path, de-chunked by net/http: fuzz seeds.
func ippBodies(tb testing.TB, path string) (bodies [][]byte, convs [][2][]byte) {
	tb.Helper()
	for _, conv := range dissecttest.RecordTCP(tb, New(), path) {
		var side [2][]byte
		for _, d := range conv {
			side[idx(d.C2S)] = append(side[idx(d.C2S)], d.Data...)
		}
		convs = append(convs, side)
		br := bufio.NewReader(bytes.NewReader(side[1]))
		for {
			resp, err := nethttp.ReadResponse(br, nil)
			if err != nil {
				break
			}
			b, err := io.ReadAll(resp.Body)
			if err == nil && resp.Header.Get("Content-Type") == "application/ipp" {
				bodies = append(bodies, b)
			}
		}
	}
	if len(bodies) == 0 {
		tb.Fatalf("%s: no IPP response", path)
	}
	return bodies, convs
}

// The reader copies nothing but the kept values, into a buffer it reuses:
// once warm, reading a response allocates nothing, in pieces or whole.
func TestIPPReaderAllocatesNothing(t *testing.T) {
	jobs := ippMsg(ippOpGroup, ippCharset, ippJobGroup, ippEndTag)
	printer := ippMsg(ippPrinter, ippAttr(0x41, "printer-device-id", "MFG:HP;MDL:M404;SN:1;"), ippAttr(0x42, "printer-name", "P"), ippEndTag)
	var r ippReader
	r.reset()
	r.feed(printer)
	allocs := testing.AllocsPerRun(1000, func() {
		r.reset()
		r.feed(jobs[:11])
		r.feed(jobs[11:])
		r.reset()
		r.feed(printer)
	})
	if allocs != 0 {
		t.Fatalf("reading allocates %v times", allocs)
	}
}

// Body packets of an IPP response that give no observation allocate
// nothing in the stream either.
func TestIPPBodyAllocatesNothing(t *testing.T) {
	s := New().NewStream().(*stream)
	var c observe.Collector
	s.Data(meta(), true, []byte("POST /ipp/print HTTP/1.1\r\nContent-Type: application/ipp\r\nContent-Length: 0\r\n\r\n"), &c)
	r := meta().Reverse()
	// A job attribute whose value (65535 bytes) is stepped over.
	head := ippMsg(ippJobs, []byte{0x41, 0, 3, 'j', 'o', 'b', 0xff, 0xff})
	s.Data(&r, false, append([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: 100000\r\n\r\n"), head...), &c)
	if !s.dir[1].ipp {
		t.Fatal("setup: the body is not read as IPP")
	}
	body := []byte(strings.Repeat("z", 10))
	e := observe.EmitterFunc(func(*observe.Observation) { t.Fatal("unexpected observation") })
	allocs := testing.AllocsPerRun(1000, func() {
		s.Data(&r, false, body, e)
	})
	if allocs != 0 {
		t.Fatalf("IPP body bytes allocate %v times per call", allocs)
	}
}

func BenchmarkIPPCapture(b *testing.B) {
	dissecttest.BenchTCP(b, func() dissect.TCPDissector { return New() }, metaDir, dissecttest.Testdata("ipp_cups.pcap")...)
}
