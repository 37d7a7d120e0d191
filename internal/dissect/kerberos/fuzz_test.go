package kerberos

import (
	"bytes"
	"encoding/asn1"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// sharedSeeds is the shared Windows capture when it is there; fuzzing must
// not skip without it.
func sharedSeeds(f *testing.F) string {
	p := filepath.Join(testutil.RepoRoot(f), "..", "shared", "data", "pcaps", sharedCapture)
	if env := os.Getenv("WARD_SHARED_DATA"); env != "" {
		p = filepath.Join(env, "pcaps", sharedCapture)
	}
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// keys are every key Ward emits, and the values some of them may take.
var keys = map[string][]string{
	"kerberos.message":         {"as_req", "as_rep", "tgs_req", "tgs_rep", "krb_error"},
	"kerberos.role":            {"kdc"},
	"kerberos.principal_type":  {kindMachine, kindUser},
	"kerberos.weak_etypes":     {weakRC4, weakDES, weakRC4DES},
	"kerberos.realm":           nil,
	"kerberos.hostname":        nil,
	"kerberos.client_hostname": nil,
	"kerberos.etypes":          nil,
	"kerberos.ticket_etype":    nil,
	"kerberos.error_code":      nil,
}

// checkObservations holds what any input must respect.
func checkObservations(t *testing.T, obs []observe.Observation) {
	t.Helper()
	for _, o := range obs {
		for _, f := range o.Fields {
			allowed, ok := keys[f.Key]
			switch {
			case !ok:
				t.Fatalf("unknown key %s", f.Key)
			case allowed != nil && !slices.Contains(allowed, f.Value):
				t.Fatalf("%s = %q", f.Key, f.Value)
			case len(f.Value) > 255 && f.Key != "kerberos.etypes":
				t.Fatalf("%s: %d bytes", f.Key, len(f.Value))
			case (f.Key == "kerberos.hostname" || f.Key == "kerberos.client_hostname") && !hostName([]byte(f.Value), 253):
				t.Fatalf("%s = %q: not a host name", f.Key, f.Value)
			}
		}
		if _, ok := o.Get("kerberos.hostname"); ok {
			if v, _ := o.Get("kerberos.principal_type"); v != kindMachine {
				t.Fatalf("a host name without principal_type machine: %v", o.Fields)
			}
		}
	}
}

// FuzzKerberos dissects a datagram twice with one dissector (its caches
// must change nothing), checks the walker against encoding/asn1, and
// overwrites the input after each call: no observation may change, since
// none may point into it.
func FuzzKerberos(f *testing.F) {
	paths := []string{filepath.Join("testdata", udpCapture+".pcap")}
	if p := sharedSeeds(f); p != "" {
		paths = append(paths, p)
	}
	for _, p := range dissecttest.OrderedUDPPayloads(f, New().MatchUDP, paths...) {
		f.Add(p)
	}
	f.Add([]byte{0x7e, 0x80, 0x30, 0x80, 0, 0, 0, 0})
	d := New()
	f.Fuzz(func(t *testing.T, p []byte) {
		if asn1Reads(p) {
			if _, _, err := next(p); err != nil {
				t.Fatalf("encoding/asn1 reads an element where ours fails: %v", err)
			}
		}
		var first, again observe.Collector
		in := bytes.Clone(p)
		err1 := d.DissectUDP(dissecttest.UDPMeta(), in, &first)
		want := deepMaps(first.Obs)
		for i := range in {
			in[i] = 0xa5
		}
		if !slices.EqualFunc(want, dissecttest.FieldMaps(first.Obs), mapsEqual) {
			t.Fatal("an observation changed with the input: it points into it")
		}
		if len(first.Obs) > 1 || (err1 == nil) != (len(first.Obs) == 1) {
			t.Fatalf("%d observations, error %v", len(first.Obs), err1)
		}
		err2 := d.DissectUDP(dissecttest.UDPMeta(), bytes.Clone(p), &again)
		if (err1 == nil) != (err2 == nil) || !slices.EqualFunc(want, dissecttest.FieldMaps(again.Obs), mapsEqual) {
			t.Fatalf("second call: %v, %v; %v", err1, err2, again.Obs)
		}
		checkObservations(t, first.Obs)
	})
}

// asn1Reads reports whether encoding/asn1 reads one element at the start
// of p.
func asn1Reads(p []byte) bool {
	var raw asn1.RawValue
	_, err := asn1.Unmarshal(p, &raw)
	return err == nil
}

// deepMaps is FieldMaps with copies of the values.
func deepMaps(obs []observe.Observation) []map[string]string {
	out := dissecttest.FieldMaps(obs)
	for _, m := range out {
		for k, v := range m {
			m[k] = strings.Clone(v)
		}
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// FuzzKerberosStream feeds both directions of a TCP connection cut at an
// arbitrary point (dissecttest.FeedInTurns): the observations must be
// those of the same bytes delivered whole, in whatever order.
func FuzzKerberosStream(f *testing.F) {
	paths := []string{filepath.Join("testdata", tcpCapture+".pcap")}
	if p := sharedSeeds(f); p != "" {
		paths = append(paths, p)
	}
	for _, conv := range dissecttest.RecordTCP(f, New(), paths...) {
		var c [2][]byte
		for _, dl := range conv {
			c[idx(dl.C2S)] = append(c[idx(dl.C2S)], dl.Data...)
		}
		f.Add(c[0], c[1], uint16(len(c[0])/2))
		f.Add(c[0], c[1], uint16(5))
	}
	d := New()
	f.Fuzz(func(t *testing.T, c2s, s2c []byte, cut uint16) {
		var split, whole observe.Collector
		dissecttest.FeedInTurns(d.NewStream(), meta, true, c2s, s2c, int(cut), &split)
		s := New().NewStream()
		if !s.Data(meta(true), true, c2s, &whole) {
			s.Data(meta(false), false, s2c, &whole)
		}
		got, want := dissecttest.FieldMaps(split.Obs), dissecttest.FieldMaps(whole.Obs)
		slices.SortFunc(got, byFields)
		slices.SortFunc(want, byFields)
		if !slices.EqualFunc(want, got, mapsEqual) {
			t.Fatalf("cut at %d: %v, whole %v", cut, got, want)
		}
		checkObservations(t, split.Obs)
	})
}

// byFields orders field maps by their sorted key=value pairs.
func byFields(a, b map[string]string) int { return strings.Compare(canonical(a), canonical(b)) }

func canonical(m map[string]string) string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	slices.Sort(kv)
	return strings.Join(kv, "|")
}
