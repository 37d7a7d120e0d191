package dicom

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/dissect/medtest"
	"github.com/wardiomt/ward/internal/observe"
)

// session is a synthetic association: RQ, AC, C-STORE with dataset, release.
type session struct {
	ts      string
	dataset []byte // encoded in ts (already deflated for the deflated syntax)
}

func (s session) messages() []struct {
	c2s  bool
	data []byte
} {
	pcs := []pc{{id: 1, abstract: "1.2.840.10008.5.1.4.1.1.2", ts: []string{s.ts}}, {id: 3, abstract: "1.2.840.10008.1.1", ts: []string{tsImplicitLE}}}
	type msg = struct {
		c2s  bool
		data []byte
	}
	return []msg{
		{true, associateRQ("MODALITY1", "PACS", pcs)},
		{false, associateAC("MODALITY1", "PACS", pcs)},
		{true, pdv(1, true, true, commandSet(0x0001, "1.2.840.10008.5.1.4.1.1.2", true))},
		{true, pdv(1, false, false, s.dataset[:len(s.dataset)/2])},
		{true, pdv(1, false, true, s.dataset[len(s.dataset)/2:])},
		{false, pdv(1, true, true, commandSet(0x8001, "1.2.840.10008.5.1.4.1.1.2", false))},
		{true, pdu(pduReleaseRQ, make([]byte, 4))},
		{false, pdu(pduReleaseRP, make([]byte, 4))},
	}
}

func runSession(t *testing.T, d *Dissector, s session, chunk int) []observe.Observation {
	t.Helper()
	var c observe.Collector
	st := d.NewStream()
	for _, msg := range s.messages() {
		b := msg.data
		for len(b) > 0 {
			n := min(chunk, len(b))
			if st.Data(testMeta(msg.c2s), msg.c2s, b[:n], &c) {
				return c.Obs
			}
			b = b[n:]
		}
	}
	return c.Obs
}

func TestSyntaxesAndPHI(t *testing.T) {
	ds := canaryDataset()
	cases := []struct {
		name string
		s    session
	}{
		{"implicit-le", session{tsImplicitLE, enc{}.encode(ds)}},
		{"explicit-le", session{tsExplicitLE, enc{explicit: true}.encode(ds)}},
		{"explicit-be", session{tsExplicitBE, enc{explicit: true, be: true}.encode(ds)}},
		{"deflated", session{tsDeflatedLE, deflate(enc{explicit: true}.encode(ds))}},
		{"jpeg-baseline", session{"1.2.840.10008.1.2.4.50", enc{explicit: true}.encode(ds)}},
	}
	want := map[string]string{
		"dicom.modality":          "CT",
		"dicom.manufacturer":      "Acme Medical",
		"dicom.institution":       "Test Hospital",
		"dicom.station_name":      "CTSTATION1",
		"dicom.model":             "Scanner 9000",
		"dicom.serial":            "SN-0001",
		"dicom.software_versions": `1.0\2.0`,
		"dicom.calling_ae":        "MODALITY1",
	}
	for _, tc := range cases {
		for _, chunk := range []int{1, 7, 1500, 1 << 20} {
			t.Run(fmt.Sprintf("%s/chunk%d", tc.name, chunk), func(t *testing.T) {
				d := New()
				obs := runSession(t, d, tc.s, chunk)
				var id *observe.Observation
				for i := range obs {
					if _, ok := obs[i].Get("dicom.manufacturer"); ok {
						if id != nil {
							t.Fatalf("two identity observations")
						}
						id = &obs[i]
					}
				}
				if id == nil {
					t.Fatalf("no identity observation in %v", obs)
				}
				got := map[string]string{}
				for _, f := range id.Fields {
					got[f.Key] = f.Value
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("identity (-want +got):\n%s", diff)
				}
				if id.SrcIP.String() != "10.0.0.5" || id.SrcPort != 40000 {
					t.Errorf("identity src = %s:%d, want the C-STORE sender 10.0.0.5:40000", id.SrcIP, id.SrcPort)
				}
				medtest.AssertNoCanary(t, obs, nil, canaries...)
				if d.guard.Dropped != 0 {
					t.Errorf("PHI guard dropped %d fields: a dissector emitted a key not on the allowlist", d.guard.Dropped)
				}
				if u := medtest.Values(obs, "dicom.associations"); len(u) != 1 {
					t.Errorf("usage observations = %v, want one", u)
				}
				if s := medtest.Values(obs, "dicom.stores"); len(s) != 1 || s[0] != "1" {
					t.Errorf("dicom.stores = %v, want [1]", s)
				}
				roles := medtest.Values(obs, "dicom.role")
				if diff := cmp.Diff([]string{"SCU", "SCP"}, roles); diff != "" {
					t.Errorf("roles (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestRoleSelection(t *testing.T) {
	d := New()
	var c observe.Collector
	st := d.NewStream()
	pcs := []pc{
		{id: 1, abstract: "1.2.840.10008.5.1.4.1.2.2.3", ts: []string{tsImplicitLE}},
		{id: 3, abstract: "1.2.840.10008.5.1.4.1.1.2", ts: []string{tsImplicitLE}},
	}
	role := roleItem("1.2.840.10008.5.1.4.1.1.2", 0, 1) // C-GET: requestor receives stores
	st.Data(testMeta(true), true, associateRQ("VIEWER", "PACS", pcs, role), &c)
	st.Data(testMeta(false), false, associateAC("VIEWER", "PACS", pcs, role), &c)
	var got []string
	for _, o := range c.Obs {
		if v, ok := o.Get("dicom.role"); ok {
			got = append(got, o.SrcIP.String()+" "+v)
		}
	}
	want := []string{"10.0.0.5 SCU/SCP", "10.0.0.9 SCU/SCP"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
}

func TestRejectAndAbort(t *testing.T) {
	cases := []struct {
		name, pdu, result, abort string
		last                     []byte
	}{
		{"reject", "associate-rj", "rejected-permanent: called AE title not recognized (service-user)", "", pdu(pduAssociateRJ, []byte{0, 1, 1, 7})},
		{"transient", "associate-rj", "rejected-transient: local limit exceeded (service-provider (presentation))", "", pdu(pduAssociateRJ, []byte{0, 2, 3, 2})},
		{"abort", "abort", "", "service-provider: unexpected PDU", pdu(pduAbort, []byte{0, 0, 2, 2})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := New()
			var c observe.Collector
			st := d.NewStream()
			pcs := []pc{{id: 1, abstract: "1.2.840.10008.1.1", ts: []string{tsImplicitLE}}}
			st.Data(testMeta(true), true, associateRQ("A", "B", pcs), &c)
			if !st.Data(testMeta(false), false, tc.last, &c) {
				t.Error("stream not done after the association ended")
			}
			var got *observe.Observation
			for i := range c.Obs {
				if v, _ := c.Obs[i].Get("dicom.pdu"); v == tc.pdu {
					got = &c.Obs[i]
				}
			}
			if got == nil {
				t.Fatalf("no %s observation in %v", tc.pdu, c.Obs)
			}
			if v, _ := got.Get("dicom.result"); v != tc.result {
				t.Errorf("result = %q, want %q", v, tc.result)
			}
			if v, _ := got.Get("dicom.abort"); v != tc.abort {
				t.Errorf("abort = %q, want %q", v, tc.abort)
			}
			if n := len(medtest.Values(c.Obs, "dicom.associations")); n != 1 {
				t.Errorf("%d usage observations, want 1", n)
			}
		})
	}
}

// TestStopAfterTopLevel: device tags at top level after a long undefined
// length sequence are found; nothing past (0018,1020) is read.
func TestStopAfterTopLevel(t *testing.T) {
	ds := []el{
		{tag: 0x00080008, vr: "SQ", undefined: true, items: [][]el{
			{{tag: 0x00081090, vr: "LO", val: pad("NESTED MODEL")}, {tag: 0x7FE00010, vr: "OB", val: make([]byte, 100)}},
			{{tag: 0x00100010, vr: "PN", val: pad("CANARY^X")}},
		}},
		{tag: 0x00081090, vr: "LO", val: pad("TOP MODEL")},
		{tag: 0x00181020, vr: "LO", val: pad("V1")},
		{tag: 0x00190010, vr: "LO", val: pad("garbage that must not be read")},
	}
	for _, e := range []enc{{}, {explicit: true}, {explicit: true, be: true}} {
		b := e.encode(ds)
		b = append(b, 0xde, 0xad) // trailing junk past the stop point
		var id identity
		syn := syntax{explicit: e.explicit, bigEndian: e.be}
		passed, err := parseDataset(b, syn, &id)
		if !passed || err != nil {
			t.Fatalf("%+v: passed=%v err=%v", e, passed, err)
		}
		if string(id.vals[idModel]) != "TOP MODEL " || string(id.vals[idSoftware]) != "V1" {
			t.Errorf("%+v: model %q software %q", e, id.vals[idModel], id.vals[idSoftware])
		}
	}
}

// TestGapCutsAssociate: an A-ASSOCIATE-RQ a hole cut after its fixed
// fields (a capture's short snap length) still names both AE titles and
// the abstract syntaxes before the hole, when that side sends again or
// the association ends; one cut inside the fixed fields names nothing.
func TestGapCutsAssociate(t *testing.T) {
	rq := associateRQ("CT_SCANNER_04", "PACS_ARCHIVE", []pc{
		{1, "1.2.840.10008.5.1.4.1.1.2", []string{"1.2.840.10008.1.2"}},
		{3, "1.2.840.10008.5.1.4.1.1.4", []string{"1.2.840.10008.1.2"}},
	})
	afterFirstPC := bytes.Index(rq, []byte("1.2.840.10008.5.1.4.1.1.4")) - 8
	for _, tt := range []struct {
		name  string
		cut   int
		atEnd bool
		want  int // observations: the association's and one per syntax
	}{
		{"next data", afterFirstPC, false, 2},
		{"end", afterFirstPC, true, 2},
		{"only fixed fields", 6 + 68, true, 1},
		{"inside the fixed fields", 6 + 40, true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := New()
			st := d.NewStream()
			var c observe.Collector
			st.Data(testMeta(true), true, rq[:tt.cut], &c)
			st.Gap(true)
			if tt.atEnd {
				st.(dissect.Ender).End(testMeta(true), &c)
			} else {
				st.Data(testMeta(true), true, []byte("garbage after the hole"), &c)
			}
			n, calling := 0, ""
			for _, o := range c.Obs {
				if pdu, _ := o.Get("dicom.pdu"); pdu == "associate-rq" {
					calling, _ = o.Get("dicom.calling_ae")
				}
				if _, ok := o.Get("dicom.associations"); !ok { // not the end-of-association counts
					n++
				}
			}
			if tt.want > 0 && calling != "CT_SCANNER_04" {
				t.Errorf("calling AE %q; observations %+v", calling, c.Obs)
			}
			if n != tt.want {
				t.Errorf("%d observations, want %d: %+v", n, tt.want, c.Obs)
			}
		})
	}
}
