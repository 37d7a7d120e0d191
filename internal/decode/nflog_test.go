package decode

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// nflogRecord builds an NFLOG record: header, a prefix TLV (type 10), then
// the payload TLV (type 9), lengths and types in byte order bo.
func nflogRecord(bo binary.ByteOrder, payload []byte) []byte {
	b := []byte{2, 0, 0, 1} // AF_INET, version 0, resource id 1
	tlv := func(t uint16, v []byte) {
		h := make([]byte, 4)
		bo.PutUint16(h, uint16(4+len(v)))
		bo.PutUint16(h[2:], t)
		b = append(append(b, h...), v...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	tlv(10, []byte("ward\x00")) // NFULA_PREFIX, 5 bytes: padding follows
	tlv(9, payload)
	return b
}

func TestNFLOGPayload(t *testing.T) {
	ip := []byte{0x45, 0, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	le, be := nflogRecord(binary.LittleEndian, ip), nflogRecord(binary.BigEndian, ip)
	tests := []struct {
		name string
		in   []byte
		want []byte
	}{
		{"little-endian host", le, ip},
		{"big-endian host", be, ip},
		{"no payload TLV", le[:12], nil},
		{"truncated TLV", le[:len(le)-1], nil},
		{"version 1", append([]byte{2, 1}, le[2:]...), nil},
		{"empty payload", nflogRecord(binary.LittleEndian, nil), nil},
		{"header only", le[:4], nil},
	}
	for _, tt := range tests {
		got, ok := nflogPayload(tt.in)
		if ok != (tt.want != nil) || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got %x, %v; want %x", tt.name, got, ok, tt.want)
		}
	}
}

type dnsRec struct{ n int }

func (r *dnsRec) Name() string                         { return "dnsrec" }
func (r *dnsRec) MatchUDP(sp, _ uint16, _ []byte) bool { return sp == 53 }
func (r *dnsRec) DissectUDP(*dissect.Meta, []byte, observe.Emitter) error {
	r.n++
	return nil
}

// testdata/nflog.pcap is tcpdump's tests/nflog.pcap: four DNS answers
// logged by netfilter.
func TestNFLOGCapture(t *testing.T) {
	r := &dnsRec{}
	d, _ := newTest(t, DefaultConfig(), r)
	readPcap(t, "testdata/nflog.pcap", d)
	if st := d.Stats(); r.n != 4 || st.UnknownLink != 0 || st.DecodeErrors != 0 {
		t.Fatalf("%d DNS datagrams (want 4), %d unknown link, %d errors", r.n, st.UnknownLink, st.DecodeErrors)
	}
}
