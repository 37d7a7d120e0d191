package simulate

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf16"
)

// ---- TLS (RFC 5246 / RFC 8446) ----

var cipherSuites12 = []uint16{0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
var cipherSuites13 = []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8}

func ext(b []byte, typ uint16, v []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

func u16list(vs []uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(2*len(vs)))
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

func handshake(typ byte, body []byte) []byte {
	b := []byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	return append(b, body...)
}

func tlsRecord(typ byte, ver uint16, body []byte) []byte {
	b := []byte{typ, byte(ver >> 8), byte(ver), byte(len(body) >> 8), byte(len(body))}
	return append(b, body...)
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// clientHello renders a ClientHello; tls13 adds supported_versions and key_share.
func clientHello(r *rand.Rand, sni string, alpn []string, tls13 bool) []byte {
	var body []byte
	body = append(body, 3, 3)
	body = append(body, randBytes(r, 32)...)
	body = append(body, 32)
	body = append(body, randBytes(r, 32)...)
	suites := cipherSuites12
	if tls13 {
		suites = cipherSuites13
	}
	body = append(body, u16list(suites)...)
	body = append(body, 1, 0)
	var e []byte
	if sni != "" {
		n := []byte{0}
		n = binary.BigEndian.AppendUint16(n, uint16(len(sni)))
		n = append(n, sni...)
		e = ext(e, 0, append(binary.BigEndian.AppendUint16(nil, uint16(len(n))), n...))
	}
	e = ext(e, 23, nil)
	e = ext(e, 0xff01, []byte{0})
	e = ext(e, 10, u16list([]uint16{0x001d, 0x0017, 0x0018}))
	e = ext(e, 11, []byte{1, 0})
	e = ext(e, 35, nil)
	if len(alpn) > 0 {
		var a []byte
		for _, p := range alpn {
			a = append(a, byte(len(p)))
			a = append(a, p...)
		}
		e = ext(e, 16, append(binary.BigEndian.AppendUint16(nil, uint16(len(a))), a...))
	}
	e = ext(e, 13, u16list([]uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}))
	if tls13 {
		ks := []byte{0x00, 0x1d, 0x00, 0x20}
		ks = append(ks, randBytes(r, 32)...)
		e = ext(e, 51, append(binary.BigEndian.AppendUint16(nil, uint16(len(ks))), ks...))
		e = ext(e, 45, []byte{1, 1})
		e = ext(e, 43, []byte{4, 0x03, 0x04, 0x03, 0x03})
	}
	body = binary.BigEndian.AppendUint16(body, uint16(len(e)))
	body = append(body, e...)
	return tlsRecord(22, 0x0301, handshake(1, body))
}

// serverFlight renders ServerHello, Certificate and ServerHelloDone in one record.
func serverFlight(r *rand.Rand, cert []byte) []byte {
	var sh []byte
	sh = append(sh, 3, 3)
	sh = append(sh, randBytes(r, 32)...)
	sh = append(sh, 32)
	sh = append(sh, randBytes(r, 32)...)
	sh = append(sh, 0xc0, 0x2b, 0)
	var e []byte
	e = ext(e, 0xff01, []byte{0})
	e = ext(e, 23, nil)
	e = ext(e, 11, []byte{1, 0})
	sh = binary.BigEndian.AppendUint16(sh, uint16(len(e)))
	sh = append(sh, e...)
	one := append([]byte{byte(len(cert) >> 16), byte(len(cert) >> 8), byte(len(cert))}, cert...)
	certs := append([]byte{byte(len(one) >> 16), byte(len(one) >> 8), byte(len(one))}, one...)
	var hs []byte
	hs = append(hs, handshake(2, sh)...)
	hs = append(hs, handshake(11, certs)...)
	hs = append(hs, handshake(14, nil)...)
	return tlsRecord(22, 0x0303, hs)
}

// certificate returns a DER X.509 certificate for a device, cached by the
// subject. Keys are derived from the seed and the subject, and ECDSA signing
// without a random source is deterministic (RFC 6979), so runs repeat bytes.
func (s *sim) certificate(d *device) []byte {
	ts := d.kind.TLS
	cn := d.expand(ts.CN)
	if cn == "" {
		cn = d.hostname
	}
	o := ts.O
	if o == "" {
		o = d.kind.Manufacturer
	}
	key := cn + "|" + o + "|" + d.version()
	if c, ok := s.certs[key]; ok {
		return c
	}
	seed := sha256.Sum256([]byte(fmt.Sprintf("%d|%s", s.cfg.Seed, key)))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), seed[:])
	if err != nil {
		return nil
	}
	caSeed := sha256.Sum256([]byte(fmt.Sprintf("%d|ca", s.cfg.Seed)))
	ca, _ := ecdsa.ParseRawPrivateKey(elliptic.P256(), caSeed[:])
	start := time.Unix(0, s.start).UTC().AddDate(-2, 0, 0)
	end := start.AddDate(5, 0, 0)
	if ts.Expired {
		start = start.AddDate(-8, 0, 0)
		end = start.AddDate(3, 0, 0)
	}
	serial := new(big.Int).SetBytes(seed[:12])
	tpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: []string{o}, OrganizationalUnit: []string{d.model()}},
		NotBefore:    start, NotAfter: end,
		DNSNames:    []string{cn},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent, signer := tpl, priv
	if !ts.SelfSigned {
		parent = &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Synthetic Hospital Issuing CA 01", Organization: []string{"Synthetic Hospital"}},
			NotBefore: start, NotAfter: end.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
		signer = ca
	}
	der, err := x509.CreateCertificate(nil, tpl, parent, &priv.PublicKey, signer)
	if err != nil {
		return nil
	}
	s.certs[key] = der
	return der
}

// ---- SMB (MS-SMB2 negotiate, MS-CIFS negotiate and session setup) ----

func nbss(msg []byte) []byte {
	return append([]byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

func smb2Header(cmd uint16, resp bool, msgID uint64) []byte {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:6], 64)
	binary.LittleEndian.PutUint16(h[12:14], cmd)
	binary.LittleEndian.PutUint16(h[14:16], 1)
	if resp {
		binary.LittleEndian.PutUint32(h[16:20], 1)
	}
	binary.LittleEndian.PutUint64(h[24:32], msgID)
	binary.LittleEndian.PutUint32(h[32:36], 0xfeff)
	return h
}

func smb2NegotiateReq(r *rand.Rand) []byte {
	dialects := []uint16{0x0202, 0x0210, 0x0300, 0x0302, 0x0311}
	b := smb2Header(0, false, 0)
	body := make([]byte, 36)
	binary.LittleEndian.PutUint16(body[0:2], 36)
	binary.LittleEndian.PutUint16(body[2:4], uint16(len(dialects)))
	binary.LittleEndian.PutUint16(body[4:6], 1)
	binary.LittleEndian.PutUint32(body[8:12], 0x7f)
	copy(body[12:28], randBytes(r, 16))
	for _, d := range dialects {
		body = binary.LittleEndian.AppendUint16(body, d)
	}
	for (64+len(body))%8 != 0 {
		body = append(body, 0)
	}
	ctxOff := 64 + len(body)
	binary.LittleEndian.PutUint32(body[28:32], uint32(ctxOff))
	binary.LittleEndian.PutUint16(body[32:34], 2)
	// Preauth integrity: SHA-512 with a 32-byte salt.
	pre := []byte{1, 0, 38, 0, 0, 0, 0, 0, 1, 0, 32, 0, 1, 0}
	pre = append(pre, randBytes(r, 32)...)
	body = append(body, pre...)
	for (64+len(body))%8 != 0 {
		body = append(body, 0)
	}
	enc := []byte{2, 0, 6, 0, 0, 0, 0, 0, 2, 0, 2, 0, 1, 0}
	body = append(body, enc...)
	return nbss(append(b, body...))
}

func smb2NegotiateResp(r *rand.Rand, now int64) []byte {
	b := smb2Header(0, true, 0)
	body := make([]byte, 64)
	binary.LittleEndian.PutUint16(body[0:2], 65)
	binary.LittleEndian.PutUint16(body[2:4], 1)
	binary.LittleEndian.PutUint16(body[4:6], 0x0302)
	copy(body[8:24], randBytes(r, 16))
	binary.LittleEndian.PutUint32(body[24:28], 0x2f)
	binary.LittleEndian.PutUint32(body[28:32], 8388608)
	binary.LittleEndian.PutUint32(body[32:36], 8388608)
	binary.LittleEndian.PutUint32(body[36:40], 8388608)
	binary.LittleEndian.PutUint64(body[40:48], filetime(now))
	binary.LittleEndian.PutUint16(body[56:58], 128)
	return nbss(append(b, body...))
}

func filetime(ns int64) uint64 { return uint64(ns/100) + 116444736000000000 }

func smb1Header(cmd byte, resp bool, mid uint16) []byte {
	h := make([]byte, 32)
	copy(h, "\xffSMB")
	h[4] = cmd
	h[9] = 0x18
	if resp {
		h[9] = 0x98
	}
	binary.LittleEndian.PutUint16(h[10:12], 0x4001) // long names, NT status off; ASCII strings
	binary.LittleEndian.PutUint16(h[26:28], 0xfeff)
	binary.LittleEndian.PutUint16(h[30:32], mid)
	return h
}

func smb1NegotiateReq() []byte {
	var dia []byte
	for _, d := range []string{"PC NETWORK PROGRAM 1.0", "LANMAN1.0", "Windows for Workgroups 3.1a", "LM1.2X002", "LANMAN2.1", "NT LM 0.12"} {
		dia = append(dia, 2)
		dia = append(dia, d...)
		dia = append(dia, 0)
	}
	b := smb1Header(0x72, false, 1)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dia)))
	return nbss(append(b, dia...))
}

func smb1NegotiateResp(r *rand.Rand, now int64, domain string) []byte {
	b := smb1Header(0x72, true, 1)
	w := make([]byte, 34)
	binary.LittleEndian.PutUint16(w[0:2], 5) // NT LM 0.12
	w[2] = 0x03                              // user-level, encrypted passwords
	binary.LittleEndian.PutUint16(w[3:5], 50)
	binary.LittleEndian.PutUint16(w[5:7], 1)
	binary.LittleEndian.PutUint32(w[7:11], 16644)
	binary.LittleEndian.PutUint32(w[11:15], 65536)
	binary.LittleEndian.PutUint32(w[19:23], 0xe3fd)
	binary.LittleEndian.PutUint64(w[23:31], filetime(now))
	w[33] = 8
	b = append(b, 17)
	b = append(b, w...)
	bytes := append(randBytes(r, 8), strings.ToUpper(domain)...)
	bytes = append(bytes, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(bytes)))
	return nbss(append(b, bytes...))
}

func smb1SessionSetupReq(r *rand.Rand, account, domain, nativeOS, lanman string) []byte {
	b := smb1Header(0x73, false, 2)
	w := make([]byte, 26)
	w[0] = 0xff
	binary.LittleEndian.PutUint16(w[4:6], 16644)
	binary.LittleEndian.PutUint16(w[6:8], 50)
	binary.LittleEndian.PutUint16(w[14:16], 24)
	binary.LittleEndian.PutUint16(w[16:18], 24)
	binary.LittleEndian.PutUint32(w[22:26], 0xd4)
	b = append(b, 13)
	b = append(b, w...)
	var by []byte
	by = append(by, randBytes(r, 48)...)
	for _, s := range []string{account, domain, nativeOS, lanman} {
		by = append(by, s...)
		by = append(by, 0)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(by)))
	return nbss(append(b, by...))
}

func smb1SessionSetupResp(nativeOS, lanman, domain string) []byte {
	b := smb1Header(0x73, true, 2)
	b = append(b, 3, 0xff, 0, 0, 0, 0, 0)
	var by []byte
	for _, s := range []string{nativeOS, lanman, domain} {
		by = append(by, s...)
		by = append(by, 0)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(by)))
	return nbss(append(b, by...))
}

var _ = utf16.Encode

// ---- HTTP/1.1 ----

func httpRequest(host, path, ua string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: " + ua +
		"\r\nAccept: */*\r\nConnection: close\r\n\r\n")
}

func httpResponse(server, title string, now int64) []byte {
	body := "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head><body><h1>" + title + "</h1></body></html>\n"
	date := time.Unix(0, now).UTC().Format(time.RFC1123)
	date = strings.Replace(date, "UTC", "GMT", 1)
	return []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nDate: %s\r\nServer: %s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		date, server, len(body), body))
}
