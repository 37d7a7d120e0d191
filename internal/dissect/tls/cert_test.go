package tls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/observe"
)

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestDescribeCert covers a CA-signed device certificate whose subject has
// several CNs, a DC path, a serial number attribute and characters that
// need escaping.
func TestDescribeCert(t *testing.T) {
	caKey, leafKey := mustKey(t), mustKey(t)
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Device CA", Organization: []string{"Baxter, Inc."}},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	oidCN, oidDC := asn1.ObjectIdentifier{2, 5, 4, 3}, asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(0x0a0b0c),
		Subject: pkix.Name{
			ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: oidDC, Value: "local"}, {Type: oidDC, Value: "hospital"},
				{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Baxter, Inc."},
				{Type: asn1.ObjectIdentifier{2, 5, 4, 5}, Value: "SN12345"},
				{Type: oidCN, Value: "pump-01"}, {Type: oidCN, Value: " #lead"},
			},
		},
		NotBefore:   time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:    time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC),
		DNSNames:    []string{"pump-01.hospital.local"},
		IPAddresses: []net.IP{net.ParseIP("10.1.2.3")},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	var o observe.Observation
	describeCert(&o, c, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), 256)
	got := map[string]string{}
	for _, f := range o.Fields {
		got[f.Key] = f.Value
	}
	want := map[string]string{
		"tls.cert_subject":             `CN=\ #lead,CN=pump-01,SERIALNUMBER=SN12345,O=Baxter\, Inc.,DC=hospital,DC=local`,
		"tls.cert_issuer":              `CN=Device CA,O=Baxter\, Inc.`,
		"tls.cert_serial":              "0a0b0c",
		"tls.cert_not_before":          "2021-01-01T00:00:00Z",
		"tls.cert_not_after":           "2022-01-01T00:00:00Z",
		"tls.cert_self_signed":         "false",
		"tls.cert_expired":             "true",
		"tls.cert_san":                 "pump-01.hospital.local",
		"tls.cert_san_ip":              "10.1.2.3",
		"tls.cert_signature_algorithm": "ECDSA-SHA256",
		"tls.cert_public_key":          "ecdsa-P-256",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !selfSigned(caCert) {
		t.Error("the CA certificate is self-signed")
	}
}

func TestUnparsableCertificate(t *testing.T) {
	s := New().NewStream().(*stream)
	var c observe.Collector
	body := []byte{0, 0, 7, 0, 0, 4, 0x30, 0x02, 0x01, 0x00}
	s.certificates(meta(false), body, "server", &c)
	if len(c.Obs) != 1 {
		t.Fatalf("want 1 observation, got %d", len(c.Obs))
	}
	if _, ok := c.Obs[0].Get("tls.cert_error"); !ok {
		t.Error("no tls.cert_error for an unparsable certificate")
	}
	if v, _ := c.Obs[0].Get("tls.cert_sha256"); len(v) != 64 {
		t.Errorf("cert_sha256 = %q", v)
	}
}

// TestCachedCertificateOutlivesBuffer: the certificate cache must not keep
// the bytes it was handed. A subject in least-specific-last order shows
// whether the description came from the raw DER (kept order) or, when the
// cached raw bytes were overwritten, from Go's re-ordered parsed name.
func TestCachedCertificateOutlivesBuffer(t *testing.T) {
	key := mustKey(t)
	raw, err := asn1.Marshal(pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "pump-01"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "Baxter"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), RawSubject: raw,
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	n := len(der)
	body := append([]byte{byte((n + 3) >> 16), byte((n + 3) >> 8), byte(n + 3), byte(n >> 16), byte(n >> 8), byte(n)}, der...)
	s := New().NewStream().(*stream)
	var c observe.Collector
	buf := append([]byte(nil), body...)
	s.certificates(meta(false), buf, "server", &c)
	clear(buf) // the decoder reuses its buffers
	s.certificates(meta(false), append([]byte(nil), body...), "server", &c)
	if len(c.Obs) != 2 {
		t.Fatalf("want 2 observations, got %d", len(c.Obs))
	}
	first, _ := c.Obs[0].Get("tls.cert_subject")
	if first != "O=Baxter,CN=pump-01" {
		t.Errorf("subject = %q", first)
	}
	if diff := cmp.Diff(c.Obs[0].Fields, c.Obs[1].Fields); diff != "" {
		t.Errorf("cached certificate described differently (-first +second):\n%s", diff)
	}
}
