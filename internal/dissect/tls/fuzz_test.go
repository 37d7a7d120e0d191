package tls

import (
	gotls "crypto/tls"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// FuzzStream feeds both directions of a handshake, cut at an arbitrary
// point, through record and handshake reassembly and every message parser.
func FuzzStream(f *testing.F) {
	for _, v := range []uint16{gotls.VersionTLS12, gotls.VersionTLS13} {
		var c2s, s2c []byte
		for _, ch := range handshake(f, v) {
			if ch.c2s {
				c2s = append(c2s, ch.data...)
			} else {
				s2c = append(s2c, ch.data...)
			}
		}
		f.Add(c2s, s2c, uint16(300))
	}
	f.Add([]byte{0x16, 3, 1, 0, 4, 1, 0, 0, 0}, []byte{0x16, 3, 3, 0, 4, 2, 0, 0, 0}, uint16(2))
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		s := New().NewStream()
		var c observe.Collector
		k := int(cut)
		parts := [][]byte{c2s[:min(k, len(c2s))], s2c[:min(k, len(s2c))], c2s[min(k, len(c2s)):], s2c[min(k, len(s2c)):]}
		done := false
		for i, p := range parts {
			if done = s.Data(meta(i%2 == 0), i%2 == 0, p, &c); done {
				break
			}
			if i == 0 && cut&0x8000 != 0 { // a hole after the client's first piece
				s.Gap(true)
			}
		}
		if !done {
			s.(dissect.Ender).End(meta(true), &c)
		}
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > 256 && fl.Key != "tls.ja3_string" && fl.Key != "tls.ja3s_string" {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}
	})
}

// FuzzCertificates feeds arbitrary Certificate and CertificateStatus
// message bodies to the certificate handling.
func FuzzCertificates(f *testing.F) {
	cert := selfSignedCert(f, "pump-01", "Baxter", []string{"a"}, fixedTime)
	der := cert.Certificate[0]
	n := len(der)
	body := append([]byte{byte((n + 3) >> 16), byte((n + 3) >> 8), byte(n + 3), byte(n >> 16), byte(n >> 8), byte(n)}, der...)
	f.Add(body, false)
	f.Add([]byte{1, 0, 0, 3, 0x30, 1, 0}, true)
	f.Fuzz(func(t *testing.T, body []byte, ocsp bool) {
		s := New().NewStream().(*stream)
		var c observe.Collector
		if ocsp {
			s.ocspCertificates(meta(false), body, &c)
		} else {
			s.certificates(meta(false), body, "server", &c)
		}
	})
}
