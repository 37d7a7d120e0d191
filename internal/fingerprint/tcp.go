package fingerprint

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/wardiomt/ward/internal/observe"
)

const (
	synField   = "tcp.syn_signature"
	flagsField = "tcp.flags"
)

// tcpSig is one SYN or SYN+ACK signature in p0f's layout
// ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass.
type tcpSig struct {
	response bool
	ver      byte // '4', '6' or '*'
	ittl     int  // initial TTL bucket (32, 64, 128, 255)
	olen     int
	mss      int  // -1 wildcard
	wkind    byte // '*' any, 'n' number, 's' mss*N, 't' mtu*N, '%' modulo
	wval     int
	scale    int // -1 wildcard
	olayout  string
	quirks   string // sorted, comma-separated
	pclass   byte   // '*', '0', '+'
	generic  bool
	os       string // claim value, e.g. "Linux 3.11 and newer"
	rule     string
	conf     float64
}

type tcpDB struct {
	n   int
	req map[string][]*tcpSig // by olayout
	rsp map[string][]*tcpSig
}

func newTCPDB() *tcpDB {
	return &tcpDB{req: map[string][]*tcpSig{}, rsp: map[string][]*tcpSig{}}
}

func (d *tcpDB) add(s *tcpSig) {
	m := d.req
	if s.response {
		m = d.rsp
	}
	m[s.olayout] = append(m[s.olayout], s)
	d.n++
}

func ttlBucket(t int) int {
	switch {
	case t <= 32:
		return 32
	case t <= 64:
		return 64
	case t <= 128:
		return 128
	}
	return 255
}

// parseP0FLabel reads "s:unix:Linux:3.11 and newer". Labels of class "!"
// name applications and tools, not operating systems: ok is false.
func parseP0FLabel(label string) (os string, generic, ok bool, err error) {
	f := strings.SplitN(label, ":", 4)
	if len(f) != 4 || (f[0] != "s" && f[0] != "g") || f[2] == "" {
		return "", false, false, fmt.Errorf("label %q: want type:class:name:flavor", label)
	}
	if f[1] == "!" {
		return "", false, false, nil
	}
	os = f[2]
	if fl := strings.TrimSpace(f[3]); fl != "" {
		os += " " + fl
	}
	return os, f[0] == "g", true, nil
}

// parseTCPSig reads a signature from a database (wildcards allowed).
func parseTCPSig(sig string) (*tcpSig, error) {
	f := strings.Split(sig, ":")
	if len(f) != 8 {
		return nil, fmt.Errorf("signature %q: want 8 ':'-separated fields", sig)
	}
	s := &tcpSig{}
	switch f[0] {
	case "4", "6", "*":
		s.ver = f[0][0]
	default:
		return nil, fmt.Errorf("signature %q: bad version %q", sig, f[0])
	}
	ttl, _, _ := strings.Cut(f[1], "+")
	ttl = strings.TrimSuffix(ttl, "-")
	t, err := strconv.Atoi(ttl)
	if err != nil || t <= 0 || t > 255 {
		return nil, fmt.Errorf("signature %q: bad ttl %q", sig, f[1])
	}
	s.ittl = ttlBucket(t)
	if f[2] == "*" {
		s.olen = -1
	} else if s.olen, err = strconv.Atoi(f[2]); err != nil {
		return nil, fmt.Errorf("signature %q: bad olen %q", sig, f[2])
	}
	if s.mss, err = wildInt(f[3]); err != nil {
		return nil, fmt.Errorf("signature %q: bad mss %q", sig, f[3])
	}
	ws, sc, ok := strings.Cut(f[4], ",")
	if !ok {
		return nil, fmt.Errorf("signature %q: want wsize,scale", sig)
	}
	switch {
	case ws == "*":
		s.wkind = '*'
	case strings.HasPrefix(ws, "mss*"):
		s.wkind, s.wval, err = 's', 0, nil
		s.wval, err = strconv.Atoi(ws[4:])
	case strings.HasPrefix(ws, "mtu*"):
		s.wkind = 't'
		s.wval, err = strconv.Atoi(ws[4:])
	case strings.HasPrefix(ws, "%"):
		s.wkind = '%'
		s.wval, err = strconv.Atoi(ws[1:])
		if err == nil && s.wval <= 0 {
			err = errors.New("zero modulo")
		}
	default:
		s.wkind = 'n'
		s.wval, err = strconv.Atoi(ws)
	}
	if err != nil {
		return nil, fmt.Errorf("signature %q: bad window %q", sig, ws)
	}
	if s.scale, err = wildInt(sc); err != nil {
		return nil, fmt.Errorf("signature %q: bad scale %q", sig, sc)
	}
	s.olayout = f[5]
	s.quirks = sortQuirks(f[6])
	switch f[7] {
	case "*", "0", "+":
		s.pclass = f[7][0]
	default:
		return nil, fmt.Errorf("signature %q: bad payload class %q", sig, f[7])
	}
	return s, nil
}

func wildInt(s string) (int, error) {
	if s == "*" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return n, nil
}

func sortQuirks(q string) string {
	if q == "" {
		return ""
	}
	parts := strings.Split(q, ",")
	for i := 1; i < len(parts); i++ {
		for j := i; j > 0 && parts[j] < parts[j-1]; j-- {
			parts[j], parts[j-1] = parts[j-1], parts[j]
		}
	}
	return strings.Join(parts, ",")
}

func compileTCPSig(ts *tcpSigSpec) (*tcpSig, error) {
	s, err := parseTCPSig(ts.Sig)
	if err != nil {
		return nil, err
	}
	os, generic, ok, err := parseP0FLabel(ts.Label)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("label %q: class '!' (application) cannot claim an OS", ts.Label)
	}
	switch ts.Direction {
	case "", "request", "syn":
	case "response", "syn+ack":
		s.response = true
	default:
		return nil, fmt.Errorf("direction %q: want request or response", ts.Direction)
	}
	if s.olayout == "" && s.wkind == '*' && s.mss < 0 {
		return nil, fmt.Errorf("signature %q would match nearly every SYN", ts.Sig)
	}
	s.generic = generic
	s.os = os
	s.rule = "tcp:" + ts.Label
	s.conf = ts.Confidence
	if s.conf == 0 {
		s.conf = 0.4
		if generic {
			s.conf = 0.25
		}
	}
	if s.conf < 0 || s.conf > 1 {
		return nil, fmt.Errorf("confidence %v must be in (0, 1]", ts.Confidence)
	}
	return s, nil
}

// importP0F reads the [tcp:request] and [tcp:response] sections of a p0f.fp
// database. Lines it cannot use are counted, not fatal: the file is
// third-party data.
func (d *tcpDB) importP0F(path string) (n, skipped int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("p0f database: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	section := ""
	var osName string
	var generic, usable bool
	var label string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			section = strings.Trim(line, "[]")
			usable = false
			continue
		}
		if section != "tcp:request" && section != "tcp:response" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			skipped++
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "label":
			var lerr error
			osName, generic, usable, lerr = parseP0FLabel(v)
			label = v
			if lerr != nil {
				skipped++
				usable = false
			}
		case "sig":
			if !usable {
				continue
			}
			s, perr := parseTCPSig(v)
			if perr != nil {
				skipped++
				continue
			}
			s.response = section == "tcp:response"
			s.generic, s.os, s.rule = generic, osName, "p0f:"+label
			// p0f's own entries are good but general (no device model).
			s.conf = 0.35
			if generic {
				s.conf = 0.2
			}
			d.add(s)
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return n, skipped, fmt.Errorf("p0f database %s: %w", path, err)
	}
	return n, skipped, nil
}

// rawSig is an observed signature split in place (no allocation).
type rawSig struct {
	ver     byte
	ittl    int
	olen    int
	mss     int
	win     int
	scale   int
	olayout string
	quirks  string
	pclass  byte
}

func parseRaw(v string) (rawSig, bool) {
	var r rawSig
	var f [8]string
	for i := 0; i < 7; i++ {
		j := strings.IndexByte(v, ':')
		if j < 0 {
			return r, false
		}
		f[i], v = v[:j], v[j+1:]
	}
	f[7] = v
	if len(f[0]) != 1 || len(f[7]) != 1 {
		return r, false
	}
	r.ver, r.pclass = f[0][0], f[7][0]
	ttl, _, _ := strings.Cut(f[1], "+")
	var ok bool
	if r.ittl, ok = atoi(ttl); !ok {
		return r, false
	}
	if r.olen, ok = atoi(f[2]); !ok {
		return r, false
	}
	r.mss = -1
	if f[3] != "*" {
		if r.mss, ok = atoi(f[3]); !ok {
			return r, false
		}
	}
	ws, sc, _ := strings.Cut(f[4], ",")
	if r.scale, ok = atoi(sc); !ok {
		return r, false
	}
	if strings.HasPrefix(ws, "mss*") {
		m, ok := atoi(ws[4:])
		if !ok || r.mss < 0 {
			return r, false
		}
		r.win = m * r.mss
	} else if r.win, ok = atoi(ws); !ok {
		return r, false
	}
	r.olayout, r.quirks = f[5], f[6]
	return r, true
}

func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// quirksEqual compares an observed quirk list with a sorted one, order-free,
// without allocating.
func quirksEqual(obs, sorted string) bool {
	if len(obs) != len(sorted) {
		return false
	}
	cnt := 0
	for rest := obs; rest != ""; {
		q, r, _ := strings.Cut(rest, ",")
		rest = r
		cnt++
		if !hasItem(sorted, q) {
			return false
		}
	}
	return cnt == strings.Count(sorted, ",")+1 || (obs == "" && sorted == "")
}

func hasItem(list, item string) bool {
	for rest := list; rest != ""; {
		q, r, _ := strings.Cut(rest, ",")
		if q == item {
			return true
		}
		rest = r
	}
	return false
}

// fuzzy reports whether s matches r on everything but quirks and the TTL.
func (s *tcpSig) matchCore(r *rawSig) bool {
	if s.ver != '*' && s.ver != r.ver {
		return false
	}
	if s.olen >= 0 && s.olen != r.olen {
		return false
	}
	if s.mss >= 0 && s.mss != r.mss {
		return false
	}
	if s.scale >= 0 && s.scale != r.scale {
		return false
	}
	if s.pclass != '*' && s.pclass != r.pclass {
		return false
	}
	switch s.wkind {
	case 'n':
		return r.win == s.wval
	case 's':
		return r.mss > 0 && r.win == s.wval*r.mss
	case 't':
		if r.mss <= 0 {
			return false
		}
		hdr := 40
		if r.ver == '6' {
			hdr = 60
		}
		return r.win == s.wval*(r.mss+hdr)
	case '%':
		return r.win%s.wval == 0
	}
	return true
}

// claims matches an observed signature: an exact specific match first, then
// an exact generic one, then one that differs only in quirks or TTL (at a
// lower confidence). At most one OS claim per signature.
func (d *tcpDB) claims(o *observe.Observation, f *observe.Field, out []Claim) []Claim {
	r, ok := parseRaw(f.Value)
	if !ok {
		return out
	}
	m := d.req
	if fl, _ := o.Get(flagsField); fl == "syn+ack" {
		m = d.rsp
	}
	var best *tcpSig
	rank := 4
	for _, s := range m[r.olayout] {
		if !s.matchCore(&r) {
			continue
		}
		exact := s.ittl == r.ittl && quirksEqual(r.quirks, s.quirks)
		k := 3
		switch {
		case exact && !s.generic:
			k = 0
		case exact:
			k = 1
		case s.ittl == r.ittl:
			k = 2
		}
		if k < rank {
			best, rank = s, k
			if k == 0 {
				break
			}
		}
	}
	if best == nil {
		return out
	}
	conf := best.conf
	if rank >= 2 {
		conf *= 0.5
	}
	return append(out, Claim{Attribute: OS, Value: best.os, Confidence: conf, Rule: best.rule,
		Protocol: o.Protocol, Field: f.Key, Observed: f.Value})
}
