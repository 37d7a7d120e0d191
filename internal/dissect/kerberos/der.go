package kerberos

import (
	"fmt"
	"math"

	"github.com/wardiomt/ward/internal/dissect"
)

// A small DER walker: enough of X.690 to find Kerberos fields without
// encoding/asn1's reflection (which allocates per value). It never reads
// past its input, rejects the indefinite length (DER forbids it, and it
// would let an element's end be anywhere) and bounds lengths, tag numbers
// and nesting.

// ASN.1 classes (the top two bits of the identifier octet).
const (
	classUniversal   = 0
	classApplication = 1
	classContext     = 2
)

// Universal tags Kerberos uses.
const (
	tagInteger       = 2
	tagSequence      = 16
	tagGeneralString = 27
)

var (
	errDERTruncated  = fmt.Errorf("kerberos DER: element runs past its container: %w", dissect.ErrTruncated)
	errDERIndefinite = fmt.Errorf("kerberos DER: indefinite length: %w", dissect.ErrMalformed)
	errDERLength     = fmt.Errorf("kerberos DER: length of more than 4 octets: %w", dissect.ErrMalformed)
	errDERTag        = fmt.Errorf("kerberos DER: tag number too large: %w", dissect.ErrMalformed)
	errDERDepth      = fmt.Errorf("kerberos DER: nested too deep: %w", dissect.ErrMalformed)
)

// elem is one tag-length-value; val points into the walked bytes.
type elem struct {
	class byte
	cons  bool // constructed: val holds elements
	tag   uint32
	val   []byte
}

// is reports whether e has this class, form and tag.
func (e elem) is(class byte, cons bool, tag uint32) bool {
	return e.class == class && e.cons == cons && e.tag == tag
}

// header reads the identifier and length octets at the start of p. The
// value is p[hdr:hdr+n], which may run past p (next checks; detection looks
// at headers of messages it has only the start of).
func header(p []byte) (e elem, hdr, n int, err error) {
	if len(p) < 2 {
		return elem{}, 0, 0, errDERTruncated
	}
	b := p[0]
	e.class, e.cons, e.tag = b>>6, b&0x20 != 0, uint32(b&0x1f)
	i := 1
	if e.tag == 0x1f {
		// High tag number: base 128, at most 5 octets and 31 bits, as
		// encoding/asn1 reads it. Kerberos's tags are all below 31.
		var t uint64
		for {
			if i >= len(p) {
				return elem{}, 0, 0, errDERTruncated
			}
			if i > 5 {
				return elem{}, 0, 0, errDERTag
			}
			c := p[i]
			i++
			t = t<<7 | uint64(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
		if t > math.MaxInt32 {
			return elem{}, 0, 0, errDERTag
		}
		e.tag = uint32(t)
	}
	if i >= len(p) {
		return elem{}, 0, 0, errDERTruncated
	}
	l := p[i]
	i++
	switch {
	case l < 0x80:
		return e, i, int(l), nil
	case l == 0x80:
		return elem{}, 0, 0, errDERIndefinite
	case l > 0x84:
		// 5+ length octets (0xff is reserved): no Kerberos message is 4 GiB.
		return elem{}, 0, 0, errDERLength
	}
	k := int(l & 0x7f)
	if len(p)-i < k {
		return elem{}, 0, 0, errDERTruncated
	}
	for _, c := range p[i : i+k] {
		n = n<<8 | int(c)
	}
	if n < 0 { // 32-bit int
		return elem{}, 0, 0, errDERLength
	}
	return e, i + k, n, nil
}

// next reads the element at the start of p and returns it and what
// follows it.
func next(p []byte) (elem, []byte, error) {
	e, hdr, n, err := header(p)
	if err != nil {
		return elem{}, nil, err
	}
	if n > len(p)-hdr {
		return elem{}, nil, errDERTruncated
	}
	e.val = p[hdr : hdr+n]
	return e, p[hdr+n:], nil
}

// wellFormed checks that p is a run of whole elements, and so are the
// values of constructed ones, with at most depth constructed elements
// inside one another.
func wellFormed(p []byte, depth int) error {
	for len(p) > 0 {
		e, rest, err := next(p)
		if err != nil {
			return err
		}
		if e.cons {
			if depth <= 0 {
				return errDERDepth
			}
			if err := wellFormed(e.val, depth-1); err != nil {
				return err
			}
		}
		p = rest
	}
	return nil
}

// explicit returns the one element inside an EXPLICIT context tag [n].
func explicit(e elem) (elem, bool) {
	if e.class != classContext || !e.cons {
		return elem{}, false
	}
	in, rest, err := next(e.val)
	return in, err == nil && len(rest) == 0
}

// integer decodes an INTEGER's two's complement value, of at most 8
// octets (Kerberos's are Int32 and UInt32).
func integer(e elem) (int64, bool) {
	if !e.is(classUniversal, false, tagInteger) || len(e.val) == 0 || len(e.val) > 8 {
		return 0, false
	}
	v := int64(int8(e.val[0])) // sign-extends
	for _, c := range e.val[1:] {
		v = v<<8 | int64(c)
	}
	return v, true
}

// explicitInteger is the INTEGER inside [n].
func explicitInteger(e elem) (int64, elem, bool) {
	in, ok := explicit(e)
	if !ok {
		return 0, elem{}, false
	}
	v, ok := integer(in)
	return v, in, ok
}

// kerberosString is the KerberosString (GeneralString) inside [n].
func kerberosString(e elem) ([]byte, bool) {
	in, ok := explicit(e)
	if !ok || !in.is(classUniversal, false, tagGeneralString) {
		return nil, false
	}
	return in.val, true
}
