package smb

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/capture"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// framed is an observation with the 1-based number of the frame that produced it.
type framed struct {
	Frame int
	Obs   observe.Observation
}

// runCapture decodes path with only d and keeps d's observations.
func runCapture(t testing.TB, path string, d dissect.Dissector) []framed {
	t.Helper()
	src, err := capture.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	cfg := decode.DefaultConfig()
	cfg.SynSignatures, cfg.Services = false, false
	var out []framed
	frame := 0
	emit := observe.EmitterFunc(func(o *observe.Observation) {
		if o.Protocol == d.Name() {
			out = append(out, framed{frame, o.Clone()})
		}
	})
	dec, err := decode.New(cfg, decode.Split(d), emit)
	if err != nil {
		t.Fatal(err)
	}
	for {
		pkt, err := src.ReadPacket()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		frame++
		dec.Packet(pkt.Data, pkt.Info, pkt.LinkType)
	}
	dec.Flush()
	if ps := dec.Stats().Protocols[d.Name()]; ps != nil && ps.Panics > 0 {
		t.Errorf("%s: %s panicked %d times", path, d.Name(), ps.Panics)
	}
	return out
}

// TestSharedCaptures runs the dissector over every shared capture: no
// panic, and the bytes it inspected against those skipped once done.
func TestSharedCaptures(t *testing.T) {
	pcaps := testutil.SharedData(t, "pcaps")
	n := 0
	err := filepath.WalkDir(pcaps, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || strings.Contains(p, "/oracle/") {
			return err
		}
		if ext := filepath.Ext(p); ext != ".pcap" && ext != ".pcapng" && ext != ".cap" {
			return nil
		}
		n += len(runCapture(t, p, New()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d observations from the shared captures", n)
}

// oracleRows reads a tshark field dump: frame number -> column -> values
// (tshark joins repeated fields with '§', written as the byte 0xc2).
func oracleRows(t testing.TB, path string) map[int]map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	head := strings.Split(lines[0], "\t")
	rows := make(map[int]map[string][]string)
	for _, l := range lines[1:] {
		cols := strings.Split(l, "\t")
		row := make(map[string][]string)
		frame := 0
		for i, c := range cols {
			if i >= len(head) || c == "" {
				continue
			}
			if head[i] == "frame.number" {
				for _, ch := range c {
					frame = frame*10 + int(ch-'0')
				}
			}
			c = strings.ReplaceAll(c, "§", "\xc2")
			row[head[i]] = strings.Split(c, "\xc2")
		}
		rows[frame] = row
	}
	return rows
}

// oracleName is how make-oracle.sh names the dump of a capture.
func oracleName(pcaps, path string) string {
	rel, _ := filepath.Rel(pcaps, path)
	parts := strings.SplitN(filepath.ToSlash(rel), "/", 2)
	return parts[0] + "__" + strings.ReplaceAll(parts[1], "/", "_")
}

// expectFunc turns one oracle row into the values each of our keys must
// show in that frame.
type expectFunc func(oraclePath string, frame int, row map[string][]string) map[string][]string

type agreement struct{ agree, total int }

// equalFunc compares a tshark value with one of Ward's for key; nil means ==.
type equalFunc func(key, want, got string) bool

// sentAt is one value we emitted: the frame and the value.
type sentAt struct {
	frame int
	value string
}

// dirKey names one direction of a TCP conversation by sender address and ports.
func dirKey(src string, sport, dport string) string { return src + "|" + sport + "|" + dport }

// compareOracle runs d over every shared capture whose oracle has values
// for it. tshark reports a PDU at its last segment while Ward emits when the
// fields are complete, and Ward reads only the first messages of a
// connection; so a tshark value agrees when Ward emitted the same value in
// the same direction of the same conversation at or before that frame. It
// requires >= 99% agreement per field, and that Ward reports the field in
// >= 99% of the conversation directions where tshark does.
func compareOracle(t *testing.T, newD func() dissect.Dissector, expect expectFunc, equal equalFunc) {
	if equal == nil {
		equal = func(_, a, b string) bool { return a == b }
	}
	pcaps := testutil.SharedData(t, "pcaps")
	stats := map[string]*agreement{}
	cover := map[string]*agreement{}
	var disagreements []string
	files := 0
	err := filepath.WalkDir(pcaps, func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || strings.Contains(p, "/oracle/") {
			return err
		}
		if ext := filepath.Ext(p); ext != ".pcap" && ext != ".pcapng" && ext != ".cap" {
			return nil
		}
		orPath := filepath.Join(pcaps, "oracle", oracleName(pcaps, p)+".tsv")
		if _, err := os.Stat(orPath); err != nil {
			return nil
		}
		rows := oracleRows(t, orPath)
		frames := make([]int, 0, len(rows))
		want := map[int]map[string][]string{}
		for f, r := range rows {
			if w := expect(orPath, f, r); len(w) > 0 {
				want[f] = w
				frames = append(frames, f)
			}
		}
		if len(want) == 0 {
			return nil
		}
		sort.Ints(frames)
		files++
		got := map[string]map[string][]sentAt{}
		for _, fo := range runCapture(t, p, newD()) {
			k := dirKey(fo.Obs.SrcIP.String(), itoa(int(fo.Obs.SrcPort)), itoa(int(fo.Obs.DstPort)))
			if got[k] == nil {
				got[k] = map[string][]sentAt{}
			}
			for _, f := range fo.Obs.Fields {
				got[k][f.Key] = append(got[k][f.Key], sentAt{fo.Frame, f.Value})
			}
		}
		seenDir := map[string]bool{}
		for _, f := range frames {
			r := rows[f]
			src := first(r["ip.src"]) + first(r["ipv6.src"])
			k := dirKey(src, first(r["tcp.srcport"]), first(r["tcp.dstport"]))
			for key, vals := range want[f] {
				ours := got[k][key]
				if !seenDir[k+key] {
					seenDir[k+key] = true
					c := counter(cover, key)
					c.total++
					if len(ours) > 0 {
						c.agree++
					} else {
						disagreements = append(disagreements, filepath.Base(p)+" frame "+itoa(f)+" "+key+": tshark "+strings.Join(vals, " | ")+"; ward has nothing in this direction")
					}
				}
				if len(ours) == 0 {
					continue
				}
				a := counter(stats, key)
				for _, v := range vals {
					a.total++
					if slices.ContainsFunc(ours, func(s sentAt) bool { return s.frame <= f && equal(key, v, s.value) }) {
						a.agree++
						continue
					}
					var w []string
					for _, s := range ours {
						w = append(w, itoa(s.frame)+":"+s.value)
					}
					disagreements = append(disagreements, filepath.Base(p)+" frame "+itoa(f)+" "+key+": tshark "+v+"; ward "+strings.Join(w, " | "))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no shared capture has oracle values for this dissector")
	}
	report(t, "agree", stats)
	report(t, "directions covered", cover)
	for _, d := range disagreements {
		t.Log("disagree:", d)
	}
}

func counter(m map[string]*agreement, key string) *agreement {
	a := m[key]
	if a == nil {
		a = &agreement{}
		m[key] = a
	}
	return a
}

func report(t *testing.T, what string, m map[string]*agreement) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a := m[k]
		t.Logf("%-36s %s %4d/%4d (%.1f%%)", k, what, a.agree, a.total, 100*float64(a.agree)/float64(a.total))
		if a.agree*100 < a.total*99 {
			t.Errorf("%s: %s %d of %d, need >= 99%%", k, what, a.agree, a.total)
		}
	}
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// dialectName maps tshark's "0x0311" to Ward's "3.1.1".
func dialectName(v string) string {
	n, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 16)
	if err != nil {
		return v
	}
	return string(appendDialect(nil, uint16(n)))
}

func TestOracle(t *testing.T) {
	compareOracle(t, func() dissect.Dissector { return New() }, func(_ string, _ int, row map[string][]string) map[string][]string {
		w := map[string][]string{}
		sp, dp := first(row["tcp.srcport"]), first(row["tcp.dstport"])
		fromServer := sp == "445" || sp == "139"
		if !fromServer && dp != "445" && dp != "139" {
			return w // NTLMSSP over HTTP, DCE/RPC and others are not SMB
		}
		copyCol := func(col, key string) {
			for _, v := range row[col] {
				if v != "" && v != "NULL" {
					w[key] = append(w[key], v)
				}
			}
		}
		copyCol("smb.native_os", "smb.native_os")
		copyCol("smb.native_lanman", "smb.native_lanman")
		copyCol("smb.primary_domain", "smb.primary_domain")
		copyCol("ntlmssp.auth.hostname", "smb.ntlm_hostname")
		copyCol("ntlmssp.auth.domain", "smb.ntlm_domain")
		copyCol("ntlmssp.challenge.target_name", "smb.ntlm_target_name")
		copyCol("ntlmssp.challenge.target_info.dns_computer_name", "smb.server_dns_name")
		copyCol("ntlmssp.challenge.target_info.nb_computer_name", "smb.server_nb_name")
		if d := row["smb2.dialect"]; len(d) > 0 {
			names := make([]string, len(d))
			for i, v := range d {
				names[i] = dialectName(v)
			}
			if fromServer {
				w["smb.dialect"] = names
			} else {
				w["smb.dialects_offered"] = []string{strings.Join(names, ",")}
			}
		}
		maj, mnr, bld := row["ntlmssp.version.major"], row["ntlmssp.version.minor"], row["ntlmssp.version.build_number"]
		for i := 0; i < len(maj) && i < len(mnr) && i < len(bld); i++ {
			w["smb.ntlm_version"] = append(w["smb.ntlm_version"], maj[i]+"."+mnr[i]+"."+bld[i])
		}
		return w
	}, nil)
}
