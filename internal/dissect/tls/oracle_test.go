package tls

import (
	"encoding/hex"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/testutil"
)

// TestSharedCaptures runs the dissector over every shared capture: no
// panic, and the bytes it inspected against those skipped once done.
func TestSharedCaptures(t *testing.T) {
	dissecttest.SharedCaptures(t, testutil.SharedData(t, "pcaps"), func() dissect.Dissector { return New() })
}

// x509Names maps Wireshark's attribute names to what Go's pkix.Name.String() prints.
var x509Names = map[string]string{
	"id-at-commonName": "CN", "id-at-organizationName": "O", "id-at-organizationalUnitName": "OU",
	"id-at-localityName": "L", "id-at-stateOrProvinceName": "ST", "id-at-countryName": "C",
	"dc": "DC", "id-at-streetAddress": "STREET", "id-at-postalCode": "POSTALCODE",
	"id-at-serialNumber": "SERIALNUMBER", "pkcs-9-at-emailAddress": "emailAddress",
}

// wsTruncated is the summary length at which Wireshark cuts RDN strings.
const wsTruncated = 215

// wsComponents splits a Wireshark RDN summary into "NAME=value" with Go's
// attribute names. Values may hold unescaped commas. The last component
// of a truncated summary is dropped; unknown attributes are skipped.
func wsComponents(s string) (comps []string, exact bool) {
	exact = len(s) < wsTruncated // informational: a shorter summary may be cut too
	var raw []string
	for _, part := range strings.Split(s, ",") {
		k, _, found := strings.Cut(part, "=")
		isNew := found && (strings.HasPrefix(k, "id-") || strings.Contains(k, "-at-") || k == "dc" || x509Names[k] != "")
		if !isNew && len(raw) > 0 {
			raw[len(raw)-1] += "," + part
			continue
		}
		raw = append(raw, part)
	}
	if !exact && len(raw) > 0 {
		raw = raw[:len(raw)-1]
	}
	for _, r := range raw {
		k, v, _ := strings.Cut(r, "=")
		name, ok := x509Names[k]
		if !ok {
			exact = false
			continue
		}
		comps = append(comps, name+"="+v)
	}
	return comps, exact
}

// goComponents splits Go's RFC 4514 string into unescaped "NAME=value";
// hex-encoded (#...) values are decoded from their DER string.
func goComponents(s string) []string {
	var comps []string
	var cur strings.Builder
	flush := func() {
		k, v, _ := strings.Cut(cur.String(), "=")
		if strings.HasPrefix(v, "#") {
			if der, err := hex.DecodeString(v[1:]); err == nil && len(der) >= 2 && der[1] < 0x80 {
				v = string(der[2:])
			}
		}
		comps = append(comps, k+"="+v)
		cur.Reset()
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == ',' || c == '+':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return comps
}

// sameName reports whether Ward's subject/issuer string carries every
// attribute tshark shows with the same value. Wireshark cuts long
// summaries, so its last attribute may be a prefix of Ward's.
func sameName(want, got string) bool {
	w, _ := wsComponents(want)
	g := goComponents(got)
	for i, c := range w {
		if slices.Contains(g, c) {
			continue
		}
		if i == len(w)-1 && slices.ContainsFunc(g, func(x string) bool { return strings.HasPrefix(x, c) }) {
			continue
		}
		return false
	}
	return len(w) > 0
}

type x509Row struct{ subject, issuer string }

func loadX509(t testing.TB, path string) map[int][]x509Row {
	out := map[int][]x509Row{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n")[1:] {
		c := strings.Split(l, "\t")
		if len(c) < 4 {
			continue
		}
		f := 0
		for _, ch := range c[0] {
			f = f*10 + int(ch-'0')
		}
		out[f] = append(out[f], x509Row{c[2], c[3]})
	}
	return out
}

func TestOracle(t *testing.T) {
	x509Cache := map[string]map[int][]x509Row{}
	dissecttest.CompareOracle(t, testutil.SharedData(t, "pcaps"), func() dissect.Dissector { return New() }, func(orPath string, frame int, row map[string][]string) map[string][]string {
		w := map[string][]string{}
		if len(row["tcp.srcport"]) == 0 {
			return w // DTLS and QUIC are not read here
		}
		if v := row["tls.handshake.extensions_server_name"]; len(v) > 0 {
			w["tls.sni"] = v
		}
		if v := row["tls.handshake.ja3"]; len(v) > 0 {
			w["tls.ja3"] = v
		}
		if v := row["tls.handshake.ja3s"]; len(v) > 0 {
			w["tls.ja3s"] = v
		}
		xp := strings.TrimSuffix(orPath, ".tsv") + ".x509.tsv"
		if _, ok := x509Cache[xp]; !ok {
			x509Cache[xp] = loadX509(t, xp)
		}
		for _, r := range x509Cache[xp][frame] {
			w["tls.cert_subject"] = append(w["tls.cert_subject"], r.subject)
			w["tls.cert_issuer"] = append(w["tls.cert_issuer"], r.issuer)
		}
		return w
	}, func(key, want, got string) bool {
		if key == "tls.cert_subject" || key == "tls.cert_issuer" {
			return sameName(want, got)
		}
		return want == got
	})
}
