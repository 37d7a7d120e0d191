package tls

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// certificates reads a TLS <= 1.2 Certificate message: a 24-bit list length,
// then 24-bit-length-prefixed DER certificates, leaf first.
func (s *stream) certificates(m *dissect.Meta, body []byte, role string, e observe.Emitter) {
	if len(body) < 3 {
		return
	}
	list := body[3:]
	if n := int(body[0])<<16 | int(body[1])<<8 | int(body[2]); n < len(list) {
		list = list[:n]
	}
	for i := 0; len(list) >= 3 && i < s.cfg.MaxCerts; i++ {
		n := int(list[0])<<16 | int(list[1])<<8 | int(list[2])
		if 3+n > len(list) {
			return
		}
		s.certificate(m, list[3:3+n], i, role, e)
		list = list[3+n:]
	}
}

// ocspResponse and basicOCSPResponse are the parts of RFC 6960 needed to
// reach the certificates a stapled OCSP response carries.
type ocspResponse struct {
	Status asn1.Enumerated
	Bytes  struct {
		Type     asn1.ObjectIdentifier
		Response []byte
	} `asn1:"explicit,tag:0,optional"`
}

type basicOCSPResponse struct {
	TBS   asn1.RawValue
	Alg   asn1.RawValue
	Sig   asn1.BitString
	Certs []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

// ocspCertificates reads a CertificateStatus message (a stapled OCSP
// response) and describes the responder certificates in it, role "ocsp".
func (s *stream) ocspCertificates(m *dissect.Meta, body []byte, e observe.Emitter) {
	if len(body) < 4 || body[0] != 1 { // status_type ocsp
		return
	}
	n := int(body[1])<<16 | int(body[2])<<8 | int(body[3])
	if 4+n > len(body) {
		return
	}
	var resp ocspResponse
	if _, err := asn1.Unmarshal(body[4:4+n], &resp); err != nil || len(resp.Bytes.Response) == 0 {
		return
	}
	var basic basicOCSPResponse
	if _, err := asn1.Unmarshal(resp.Bytes.Response, &basic); err != nil {
		return
	}
	for i, c := range basic.Certs {
		if i >= s.cfg.MaxCerts {
			break
		}
		s.certificate(m, c.FullBytes, i, "ocsp", e)
	}
}

// certificate emits one observation describing one certificate.
func (s *stream) certificate(m *dissect.Meta, der []byte, index int, role string, e observe.Emitter) {
	sc := s.sc
	m.Fill(&sc.obs, "tls")
	o := &sc.obs
	o.Add("tls.cert_role", role)
	o.Add("tls.cert_index", strconv.Itoa(index))
	// The same certificates come back on every connection to a server:
	// parse, verify and describe each once. The description holds only
	// strings, never the DER, which belongs to the packet.
	sum := sha256.Sum256(der)
	pc, ok := sc.certs.get(sum)
	if !ok {
		pc = &parsedCert{sha: hex.EncodeToString(sum[:])}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			pc.bad, pc.err = true, text([]byte(err.Error()), s.cfg.MaxValue)
		} else {
			pc.desc = describe(c, selfSigned(c), s.cfg.MaxValue)
		}
		sc.certs.put(sum, pc)
	}
	o.Add("tls.cert_sha256", pc.sha)
	if pc.bad {
		o.Add("tls.cert_error", pc.err)
		e.Emit(o)
		return
	}
	pc.desc.add(o, m.Time)
	e.Emit(o)
}

// describeCert adds the certificate's identifying and risk fields.
func describeCert(o *observe.Observation, c *x509.Certificate, now time.Time, max int) {
	d := describe(c, selfSigned(c), max)
	d.add(o, now)
}

// certDesc is a certificate's description as emitted; only tls.cert_expired
// depends on when it is seen.
type certDesc struct {
	subject, issuer, serial    string
	notBefore, notAfter        string
	self                       bool
	notAfterTime               time.Time
	san, sanIP, sigAlg, pubKey string
	hasSerial, hasSAN, hasIP   bool
}

func describe(c *x509.Certificate, self bool, max int) certDesc {
	d := certDesc{
		subject:      text([]byte(formatName(c.RawSubject, c.Subject)), max),
		issuer:       text([]byte(formatName(c.RawIssuer, c.Issuer)), max),
		notBefore:    c.NotBefore.UTC().Format(time.RFC3339),
		notAfter:     c.NotAfter.UTC().Format(time.RFC3339),
		self:         self,
		notAfterTime: c.NotAfter,
		sigAlg:       c.SignatureAlgorithm.String(),
		pubKey:       publicKey(c),
	}
	if c.SerialNumber != nil {
		d.hasSerial, d.serial = true, hex.EncodeToString(c.SerialNumber.Bytes())
	}
	if len(c.DNSNames) > 0 {
		d.hasSAN, d.san = true, text([]byte(strings.Join(c.DNSNames, ",")), max)
	}
	if len(c.IPAddresses) > 0 {
		ips := make([]string, 0, len(c.IPAddresses))
		for _, ip := range c.IPAddresses {
			ips = append(ips, ip.String())
		}
		d.hasIP, d.sanIP = true, text([]byte(strings.Join(ips, ",")), max)
	}
	return d
}

// add writes the description's fields, in their fixed order.
func (d *certDesc) add(o *observe.Observation, now time.Time) {
	o.Add("tls.cert_subject", d.subject)
	o.Add("tls.cert_issuer", d.issuer)
	if d.hasSerial {
		o.Add("tls.cert_serial", d.serial)
	}
	o.Add("tls.cert_not_before", d.notBefore)
	o.Add("tls.cert_not_after", d.notAfter)
	o.Add("tls.cert_self_signed", strconv.FormatBool(d.self))
	if !now.IsZero() {
		o.Add("tls.cert_expired", strconv.FormatBool(now.After(d.notAfterTime)))
	}
	if d.hasSAN {
		o.Add("tls.cert_san", d.san)
	}
	if d.hasIP {
		o.Add("tls.cert_san_ip", d.sanIP)
	}
	o.Add("tls.cert_signature_algorithm", d.sigAlg)
	o.Add("tls.cert_public_key", d.pubKey)
}

// attrNames are the short names printed for RDN attribute types; others
// print as dotted OIDs.
var attrNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "SERIALNUMBER", "2.5.4.6": "C", "2.5.4.7": "L",
	"2.5.4.8": "ST", "2.5.4.9": "STREET", "2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.12": "T",
	"2.5.4.17": "POSTALCODE", "2.5.4.42": "GN", "2.5.4.46": "dnQualifier", "2.5.4.65": "pseudonym",
	"0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
	"1.2.840.113549.1.9.1": "emailAddress",
}

// formatName writes a distinguished name RFC 4514 style, most specific
// first ("CN=pump-01,O=Baxter"), keeping every attribute: Go's
// pkix.Name.String() keeps only one CN, and device certificates often
// carry several, or serial numbers in DC/UID/emailAddress.
func formatName(raw []byte, parsed pkix.Name) string {
	var rdns pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &rdns); err != nil || len(rest) > 0 {
		return parsed.String()
	}
	var b strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		for j, atv := range rdns[i] {
			switch {
			case j > 0:
				b.WriteByte('+')
			case i < len(rdns)-1:
				b.WriteByte(',')
			}
			oid := atv.Type.String()
			name, ok := attrNames[oid]
			if !ok {
				name = oid
			}
			b.WriteString(name)
			b.WriteByte('=')
			v, isString := atv.Value.(string)
			if !isString {
				der, err := asn1.Marshal(atv.Value)
				if err != nil {
					continue
				}
				b.WriteByte('#')
				b.WriteString(hex.EncodeToString(der))
				continue
			}
			escapeValue(&b, v)
		}
	}
	return b.String()
}

// escapeValue escapes an attribute value as RFC 4514 section 2.4 asks.
func escapeValue(b *strings.Builder, v string) {
	for i, r := range v {
		switch {
		case strings.ContainsRune(`,+"\<>;`, r), i == 0 && (r == ' ' || r == '#'), i == len(v)-1 && r == ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, "\\%02x", r)
		default:
			b.WriteRune(r)
		}
	}
}

// selfSigned: issuer equals subject and the certificate's own key signs it.
// Old algorithms Go refuses to verify (MD5) fall back to the key identifiers.
func selfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawSubject, c.RawIssuer) {
		return false
	}
	err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
	if err == nil {
		return true
	}
	var insecure x509.InsecureAlgorithmError
	if errors.As(err, &insecure) || errors.Is(err, x509.ErrUnsupportedAlgorithm) {
		return len(c.AuthorityKeyId) == 0 || bytes.Equal(c.AuthorityKeyId, c.SubjectKeyId)
	}
	return false
}

func publicKey(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "rsa-" + strconv.Itoa(k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ecdsa-" + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "ed25519"
	}
	return strings.ToLower(c.PublicKeyAlgorithm.String())
}

// parsedCert is what one certificate yields: its hash and either a parse
// error or its description.
type parsedCert struct {
	sha  string
	bad  bool
	err  string
	desc certDesc
}

// certCache remembers certificates by SHA-256, bounded: when full it
// starts over, which only costs a re-parse.
type certCache struct {
	m   map[[32]byte]*parsedCert
	max int
}

func (c *certCache) get(k [32]byte) (*parsedCert, bool) {
	v, ok := c.m[k]
	return v, ok
}

func (c *certCache) put(k [32]byte, v *parsedCert) {
	if c.m == nil {
		c.m = make(map[[32]byte]*parsedCert)
	}
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = v
}
