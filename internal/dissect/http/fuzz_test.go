package http

import (
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds arbitrary bytes, split at an arbitrary point and
// alternating directions, to the header parser and body framing.
func FuzzStream(f *testing.F) {
	f.Add([]byte("GET /a?b HTTP/1.1\r\nHost: h\r\nAuthorization: Basic eA==\r\n\r\n"), []byte("HTTP/1.1 401 X\r\nWWW-Authenticate: Digest realm=\"r\"\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), uint8(7))
	f.Add([]byte("POST / HTTP/1.0\nContent-Length: 4\n\nbodyGET / HTTP/1.0\n\n"), []byte("HTTP/1.0 200 OK\nServer: x\n y\n\n"), uint8(3))
	f.Add([]byte("HEAD / HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"), uint8(0))
	f.Add([]byte("GET /d.xml HTTP/1.1\r\n\r\n"), []byte("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 98\r\n\r\n<root xmlns=\"urn:schemas-upnp-org:device-1-0\"><manufacturer>A&amp;B</manufacturer><modelName>M</modelName></root>"), uint8(40))
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
		}
	})
}
