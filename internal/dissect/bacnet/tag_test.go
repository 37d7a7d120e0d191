package bacnet

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect"
)

// withContent returns header followed by n octets of content.
func withContent(header []byte, n int) []byte {
	return append(append([]byte(nil), header...), bytes.Repeat([]byte{'x'}, n)...)
}

func TestReadTag(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    tag
		wantErr error
	}{
		{name: "context 0, 4 octets (an object identifier)", in: []byte{0x0c, 2, 0, 0, 1}, want: tag{num: 0, context: true, lvt: 4, length: 4, hdr: 1}},
		{name: "application unsigned, 1 octet", in: []byte{0x21, 5}, want: tag{num: appUnsigned, lvt: 1, length: 1, hdr: 1}},
		{name: "application unsigned, 0 octets", in: []byte{0x20}, want: tag{num: appUnsigned, length: 0, hdr: 1}},
		{name: "extended length 5", in: withContent([]byte{0x75, 5}, 5), want: tag{num: appCharStr, lvt: 5, length: 5, hdr: 2}},
		{name: "extended length 253, the longest one-octet form", in: withContent([]byte{0x75, 253}, 253), want: tag{num: appCharStr, lvt: 5, length: 253, hdr: 2}},
		{name: "extended length 254: two octets follow", in: withContent([]byte{0x75, 254, 0x01, 0x00}, 256), want: tag{num: appCharStr, lvt: 5, length: 256, hdr: 4}},
		{name: "extended length 255: four octets follow", in: withContent([]byte{0x75, 255, 0, 0, 0x01, 0x02}, 258), want: tag{num: appCharStr, lvt: 5, length: 258, hdr: 6}},
		{name: "extended length with a context tag", in: withContent([]byte{0x2d, 7}, 7), want: tag{num: 2, context: true, lvt: 5, length: 7, hdr: 2}},
		{name: "extended tag number", in: []byte{0xf9, 32, 7}, want: tag{num: 32, context: true, lvt: 1, length: 1, hdr: 2}},
		{name: "extended tag number and extended length", in: withContent([]byte{0xfd, 200, 254, 0, 10}, 10), want: tag{num: 200, context: true, lvt: 5, length: 10, hdr: 5}},
		{name: "opening tag 3", in: []byte{0x3e}, want: tag{num: 3, context: true, kind: opening, lvt: 6, hdr: 1}},
		{name: "closing tag 3", in: []byte{0x3f}, want: tag{num: 3, context: true, kind: closing, lvt: 7, hdr: 1}},
		{name: "extended opening tag", in: []byte{0xfe, 64}, want: tag{num: 64, context: true, kind: opening, lvt: 6, hdr: 2}},
		{name: "boolean true: the value is in the header", in: []byte{0x11}, want: tag{num: appBoolean, lvt: 1, hdr: 1}},
		{name: "context 1 is no boolean: LVT is a length", in: []byte{0x19, 0x79}, want: tag{num: 1, context: true, lvt: 1, length: 1, hdr: 1}},
		{name: "boolean 2", in: []byte{0x12}, wantErr: dissect.ErrMalformed},
		{name: "application opening tag", in: []byte{0x76}, wantErr: dissect.ErrMalformed},
		{name: "application closing tag", in: []byte{0x27}, wantErr: dissect.ErrMalformed},
		{name: "reserved tag number 255", in: []byte{0xf8, 255}, wantErr: dissect.ErrMalformed},
		{name: "empty", in: nil, wantErr: dissect.ErrTruncated},
		{name: "extended tag number missing", in: []byte{0xf9}, wantErr: dissect.ErrTruncated},
		{name: "content cut short", in: []byte{0x24, 1, 2, 3}, wantErr: dissect.ErrTruncated},
		{name: "extended length octet missing", in: []byte{0x75}, wantErr: dissect.ErrTruncated},
		{name: "254 form cut short", in: []byte{0x75, 254, 1}, wantErr: dissect.ErrTruncated},
		{name: "255 form cut short", in: []byte{0x75, 255, 0, 0, 1}, wantErr: dissect.ErrTruncated},
		{name: "255 form claiming 4 GiB", in: withContent([]byte{0x75, 255, 0xff, 0xff, 0xff, 0xff}, 10), wantErr: dissect.ErrTruncated},
		{name: "254 form claiming more than there is", in: withContent([]byte{0x75, 254, 0x01, 0x00}, 255), wantErr: dissect.ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readTag(tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(tag{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// nested returns n opening tags 0, a value, and n closing tags, then the
// closing tag 3 that value(3) stops at.
func nested(n int) []byte {
	b := bytes.Repeat([]byte{0x0e}, n)
	b = append(b, 0x21, 9)
	b = append(b, bytes.Repeat([]byte{0x0f}, n)...)
	return append(b, 0x3f)
}

func TestReaderValue(t *testing.T) {
	tests := []struct {
		name      string
		in        []byte
		wantFirst []byte // content of the first top-level application value
		wantRest  int    // octets left after the closing tag
		wantErr   error
	}{
		{name: "one character string", in: []byte{0x75, 4, 0, 'A', 'H', 'U', 0x3f, 0x1a}, wantFirst: []byte{0, 'A', 'H', 'U'}, wantRest: 1},
		{name: "the first of several values", in: []byte{0x21, 1, 0x21, 2, 0x3f}, wantFirst: []byte{1}},
		{name: "empty value", in: []byte{0x3f}},
		{name: "a nested value is not the property's", in: []byte{0x0e, 0x21, 7, 0x0f, 0x22, 1, 0, 0x3f}, wantFirst: []byte{1, 0}},
		{name: "context-tagged primitives are skipped", in: []byte{0x09, 3, 0x91, 2, 0x3f}, wantFirst: []byte{2}},
		{name: "nesting at the bound", in: nested(maxDepth)},
		{name: "nesting past the bound", in: nested(maxDepth + 1), wantErr: errTooDeep},
		{name: "closing tag of another number", in: []byte{0x21, 1, 0x4f}, wantErr: dissect.ErrMalformed},
		{name: "nested closing tag mismatched", in: []byte{0x0e, 0x1f, 0x3f}, wantErr: dissect.ErrMalformed},
		{name: "no closing tag", in: []byte{0x21, 1}, wantErr: dissect.ErrTruncated},
		{name: "value cut short", in: []byte{0x75, 9, 0, 'x'}, wantErr: dissect.ErrTruncated},
		{name: "more tags than the budget", in: append(bytes.Repeat([]byte{0x20}, maxTags), 0x3f), wantErr: errTooMany},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newReader(tc.in)
			_, v, found, err := r.value(3)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if found != (tc.wantFirst != nil) || !bytes.Equal(v, tc.wantFirst) {
				t.Errorf("first value %x (found %v), want %x", v, found, tc.wantFirst)
			}
			if len(r.b) != tc.wantRest {
				t.Errorf("%d octets left, want %d", len(r.b), tc.wantRest)
			}
		})
	}
}

func TestUnsignedAndObjectID(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want uint32
		ok   bool
	}{
		{[]byte{5}, 5, true}, {[]byte{0x05, 0xc2}, 1474, true}, {[]byte{1, 0, 0, 0}, 1 << 24, true},
		{nil, 0, false}, {[]byte{1, 0, 0, 0, 0}, 0, false},
	} {
		if got, ok := unsigned(tc.in); got != tc.want || ok != tc.ok {
			t.Errorf("unsigned(%x) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if typ, inst, ok := objectID([]byte{0x02, 0x03, 0xf7, 0xa1}); typ != objectDevice || inst != 260001 || !ok {
		t.Errorf("objectID: %d, %d, %v", typ, inst, ok)
	}
	if _, _, ok := objectID([]byte{2, 3, 4}); ok {
		t.Error("objectID of 3 octets")
	}
}
