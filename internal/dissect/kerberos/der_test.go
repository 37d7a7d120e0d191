package kerberos

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"strconv"
	"testing"

	"github.com/wardiomt/ward/internal/dissect"
)

// derInt is v as a minimal DER INTEGER (test input only).
func derInt(v int64) []byte {
	var b []byte
	for {
		b = append([]byte{byte(v)}, b...)
		if (v >= -128 && v <= 127) || len(b) == 8 {
			break
		}
		v >>= 8
	}
	return append([]byte{tagInteger, byte(len(b))}, b...)
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestNext(t *testing.T) {
	v128, v256 := bytes.Repeat([]byte{7}, 128), bytes.Repeat([]byte{7}, 256)
	tests := []struct {
		name     string
		in       []byte
		want     elem
		wantRest []byte
		wantErr  error
	}{
		{name: "short form", in: []byte{0x02, 0x01, 0x05, 0xaa}, want: elem{class: classUniversal, tag: tagInteger, val: []byte{5}}, wantRest: []byte{0xaa}},
		{name: "empty value", in: []byte{0x30, 0x00}, want: elem{class: classUniversal, cons: true, tag: tagSequence, val: []byte{}}},
		{name: "explicit context tag", in: []byte{0xa1, 0x03, 0x02, 0x01, 0x05}, want: elem{class: classContext, cons: true, tag: 1, val: []byte{2, 1, 5}}},
		{name: "application tag", in: []byte{0x7e, 0x00}, want: elem{class: classApplication, cons: true, tag: msgError, val: []byte{}}},
		{name: "long form, 1 octet", in: append([]byte{0x04, 0x81, 0x80}, v128...), want: elem{tag: 4, val: v128}},
		{name: "long form, 2 octets", in: append([]byte{0x04, 0x82, 0x01, 0x00}, v256...), want: elem{tag: 4, val: v256}},
		// Not minimal, so not DER; accepted as Wireshark does: it bounds nothing less.
		{name: "long form where short would do", in: []byte{0x02, 0x81, 0x01, 0x05}, want: elem{tag: tagInteger, val: []byte{5}}},
		{name: "high tag number", in: []byte{0x5f, 0x81, 0x00, 0x01, 0x09}, want: elem{class: classApplication, tag: 128, val: []byte{9}}},
		{name: "high tag number of 4 octets", in: []byte{0x9f, 0xff, 0xff, 0xff, 0x7f, 0x00}, want: elem{class: classContext, tag: 1<<28 - 1, val: []byte{}}},
		{name: "high tag number of 5 octets", in: []byte{0x9f, 0x87, 0xff, 0xff, 0xff, 0x7f, 0x00}, want: elem{class: classContext, tag: 1<<31 - 1, val: []byte{}}},
		{name: "high tag number over 31 bits", in: []byte{0x9f, 0x88, 0x80, 0x80, 0x80, 0x00, 0x00}, wantErr: errDERTag},
		{name: "high tag number of 6 octets", in: []byte{0x9f, 0x80, 0x80, 0x80, 0x80, 0x81, 0x00, 0x00}, wantErr: errDERTag},
		{name: "indefinite length", in: []byte{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00}, wantErr: errDERIndefinite},
		{name: "5 length octets", in: []byte{0x04, 0x85, 0, 0, 0, 0, 1, 0}, wantErr: errDERLength},
		{name: "reserved length octet 0xff", in: []byte{0x04, 0xff, 0}, wantErr: errDERLength},
		{name: "4 length octets past the input", in: []byte{0x04, 0x84, 0x7f, 0xff, 0xff, 0xff, 0}, wantErr: dissect.ErrTruncated},
		{name: "value past the input", in: []byte{0x02, 0x03, 0x01}, wantErr: dissect.ErrTruncated},
		{name: "length octets missing", in: []byte{0x04, 0x82, 0x01}, wantErr: dissect.ErrTruncated},
		{name: "identifier only", in: []byte{0x02}, wantErr: dissect.ErrTruncated},
		{name: "high tag cut", in: []byte{0x5f, 0x81}, wantErr: dissect.ErrTruncated},
		{name: "nothing", in: nil, wantErr: dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, rest, err := next(tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.class != tc.want.class || got.cons != tc.want.cons || got.tag != tc.want.tag || !bytes.Equal(got.val, tc.want.val) || !bytes.Equal(rest, tc.wantRest) {
				t.Errorf("got %+v rest %x, want %+v rest %x", got, rest, tc.want, tc.wantRest)
			}
		})
	}
}

// nested is depth SEQUENCEs, one in another, around an INTEGER.
func nested(depth int, inner []byte) []byte {
	p := inner
	for range depth {
		p = append([]byte{0x30, byte(len(p))}, p...)
	}
	return p
}

func TestWellFormed(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		depth   int
		wantErr error
	}{
		{name: "primitive only", in: derInt(5), depth: 1},
		{name: "16 levels within 16", in: nested(16, derInt(5)), depth: 16},
		{name: "17 levels over 16", in: nested(17, derInt(5)), depth: 16, wantErr: errDERDepth},
		{name: "2 levels over 1", in: nested(2, nil), depth: 1, wantErr: errDERDepth},
		{name: "runs of elements", in: append(nested(3, derInt(1)), nested(2, derInt(2))...), depth: 3},
		{name: "inner element past its container", in: []byte{0x30, 0x03, 0x02, 0x05, 0x01}, depth: 4, wantErr: dissect.ErrTruncated},
		{name: "inner indefinite length", in: []byte{0x30, 0x04, 0x30, 0x80, 0x00, 0x00}, depth: 4, wantErr: errDERIndefinite},
		{name: "trailing garbage", in: append(derInt(5), 0x02), depth: 4, wantErr: dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := wellFormed(tc.in, tc.depth); !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestInteger(t *testing.T) {
	tests := []struct {
		in   []byte
		want int64
		ok   bool
	}{
		{[]byte{2, 1, 23}, 23, true},
		{[]byte{2, 1, 0xff}, -1, true},
		{[]byte{2, 2, 0xff, 0x7b}, -133, true},
		{[]byte{2, 2, 0xef, 0xff}, -4097, true},
		{[]byte{2, 5, 0, 0xff, 0xff, 0xff, 0xff}, 1<<32 - 1, true},
		{[]byte{2, 0}, 0, false},
		{[]byte{2, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0, false},
		{[]byte{4, 1, 5}, 0, false}, // an OCTET STRING
	}
	for _, tc := range tests {
		e, _, err := next(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := integer(e); v != tc.want || ok != tc.ok {
			t.Errorf("%x: %d %v, want %d %v", tc.in, v, ok, tc.want, tc.ok)
		}
	}
	for _, v := range []int64{0, 1, -1, 127, 128, -128, -129, 23, -133, 1 << 31, -1 << 31} {
		e, _, _ := next(derInt(v))
		if got, ok := integer(e); !ok || got != v {
			t.Errorf("%d: %d %v", v, got, ok)
		}
		var fromStd int64
		if _, err := asn1.Unmarshal(derInt(v), &fromStd); err != nil || fromStd != v {
			t.Errorf("%d: encoding/asn1 reads %d, %v", v, fromStd, err)
		}
	}
}

// TestAgainstEncodingASN1 walks every element of every captured message
// and checks it against encoding/asn1's reading.
func TestAgainstEncodingASN1(t *testing.T) {
	var msgs [][]byte
	msgs = append(msgs, udpPayloads(t)...)
	for _, c := range conversations(t) {
		msgs = append(msgs, c[0][4:], c[1][4:])
	}
	n := 0
	for i, p := range msgs {
		n += compareASN1(t, i, p)
	}
	if n < 500 {
		t.Errorf("only %d elements compared", n)
	}
}

func compareASN1(t *testing.T, msg int, p []byte) int {
	t.Helper()
	n := 0
	for len(p) > 0 {
		var raw asn1.RawValue
		restStd, err := asn1.Unmarshal(p, &raw)
		if err != nil {
			t.Fatalf("message %d: encoding/asn1: %v", msg, err)
		}
		e, rest, err := next(p)
		if err != nil {
			t.Fatalf("message %d: %v", msg, err)
		}
		if int(e.class) != raw.Class || e.cons != raw.IsCompound || int(e.tag) != raw.Tag || !bytes.Equal(e.val, raw.Bytes) || len(rest) != len(restStd) {
			t.Fatalf("message %d: ours %d/%v/%d %d bytes, encoding/asn1 %d/%v/%d %d bytes", msg, e.class, e.cons, e.tag, len(e.val), raw.Class, raw.IsCompound, raw.Tag, len(raw.Bytes))
		}
		n++
		if e.cons {
			n += compareASN1(t, msg, e.val)
		}
		p = rest
	}
	return n
}
