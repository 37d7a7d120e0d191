package http

import (
	"bytes"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds arbitrary bytes, split at an arbitrary point and
// alternating directions, to the header parser and body framing.
func FuzzStream(f *testing.F) {
	f.Add([]byte("GET /a?b HTTP/1.1\r\nHost: h\r\nAuthorization: Basic eA==\r\n\r\n"), []byte("HTTP/1.1 401 X\r\nWWW-Authenticate: Digest realm=\"r\"\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), uint8(7))
	f.Add([]byte("POST / HTTP/1.0\nContent-Length: 4\n\nbodyGET / HTTP/1.0\n\n"), []byte("HTTP/1.0 200 OK\nServer: x\n y\n\n"), uint8(3))
	f.Add([]byte("HEAD / HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"), uint8(0))
	f.Add([]byte("GET /d.xml HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 98\r\n\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><manufacturer>A&amp;B</manufacturer><modelName>M</modelName></root>"), uint8(40))
	// IPP exchanges with cupsd and ippeveprinter, both sides whole.
	_, convs := ippBodies(f, filepath.Join("testdata", "ipp_cups.pcap"))
	for _, c := range convs {
		f.Add(c[0], c[1], uint8(len(c[0])))
	}
	f.Fuzz(func(t *testing.T, req, resp []byte, cut uint8) {
		s := New().NewStream()
		m := meta()
		e := observe.EmitterFunc(func(o *observe.Observation) {
			for _, fl := range o.Fields {
				if len(fl.Value) > 256 {
					t.Fatalf("%s value of %d bytes exceeds the cap", fl.Key, len(fl.Value))
				}
			}
		})
		c := int(cut)
		for i, p := range [][]byte{req[:min(c, len(req))], resp[:min(c, len(resp))], req[min(c, len(req)):], resp[min(c, len(resp)):]} {
			if s.Data(m, i%2 == 0, p, e) {
				return
			}
			if i == 1 && cut%5 == 0 {
				s.Gap(true)
			}
			if i == 1 && cut%7 == 0 {
				s.Gap(false)
			}
		}
		s.(dissect.Ender).End(m, e) // a cut header block is read at the end
	})
}

// FuzzIPP reads arbitrary bytes as an IPP response body, whole and cut in
// two: the same values either way, and the emitted ones capped.
func FuzzIPP(f *testing.F) {
	bodies, _ := ippBodies(f, filepath.Join("testdata", "ipp_cups.pcap"))
	for _, b := range bodies {
		f.Add(b, uint16(len(b)/2))
	}
	f.Add(ippMsg(ippPrinter, ippAttr(0x34, "media-col", ""), ippAttr(0x4a, "", "printer-name"), ippAttr(0x42, "", "x"), ippAttr(0x37, "", ""),
		ippAttr(0x35, "printer-location", ippLang("en", "Ward 3")), ippAttr(0x30, "printer-firmware-version", "\x01\x02"), ippEndTag), uint16(9))
	s := New().NewStream().(*stream) // its caches carry over, as on a sensor
	f.Fuzz(func(t *testing.T, body []byte, cut uint16) {
		c := min(int(cut), len(body))
		var whole, split ippReader
		whole.reset()
		split.reset()
		okWhole := whole.feed(body)
		okSplit := split.feed(body[:c])
		okSplit = split.feed(body[c:]) || okSplit
		if okWhole != okSplit {
			t.Fatalf("end reported %v whole, %v cut at %d", okWhole, okSplit, c)
		}
		for fl := range ippFields {
			if a, b := whole.value(fl), split.value(fl); !bytes.Equal(a, b) {
				t.Fatalf("field %d: %q whole, %q cut at %d", fl, a, b, c)
			}
		}
		if !okWhole {
			return
		}
		e := observe.EmitterFunc(func(o *observe.Observation) {
			for _, fl := range o.Fields {
				if len(fl.Value) > 256 || !utf8.ValidString(fl.Value) {
					t.Fatalf("%s value %q: over the cap or not UTF-8", fl.Key, fl.Value)
				}
			}
		})
		s.ippDescription(meta(), &whole, e)
	})
}
