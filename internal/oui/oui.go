// Package oui maps MAC addresses to the IEEE registrant of their prefix.
// The table is generated from Debian's ieee-data by ./gen and embedded, so
// Ward needs no registry file at run time.
package oui

import (
	_ "embed"
	"net"
	"sort"
	"strconv"
	"strings"
)

//go:generate go run ./gen -dir /usr/share/ieee-data -out table.tsv

//go:embed table.tsv
var embedded string

// Table is an immutable prefix index; safe for concurrent use.
type Table struct {
	// One sorted key slice per prefix length; names[i] belongs to keys[i].
	// Names are substrings of the source text, so loading copies nothing.
	l24, l28, l36 block
}

type block struct {
	keys  []uint64
	names []string
}

func (b *block) find(k uint64) (string, bool) {
	i := sort.Search(len(b.keys), func(i int) bool { return b.keys[i] >= k })
	if i < len(b.keys) && b.keys[i] == k {
		return b.names[i], true
	}
	return "", false
}

// Embedded parses the table compiled into the binary. Each call builds a new
// Table (a few milliseconds); callers keep one.
func Embedded() *Table {
	t, _ := Parse(embedded) // the generator wrote it; a parse error would fail the tests
	return t
}

// Parse reads the generated table format. Malformed lines are skipped and
// counted in the returned number.
func Parse(text string) (*Table, int) {
	t := &Table{}
	bad := 0
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		if line == "" || line[0] == '#' {
			continue
		}
		p, name, ok := strings.Cut(line, "\t")
		if !ok || name == "" {
			bad++
			continue
		}
		k, err := strconv.ParseUint(p, 16, 64)
		if err != nil {
			bad++
			continue
		}
		var b *block
		switch len(p) {
		case 6:
			b = &t.l24
		case 7:
			b = &t.l28
		case 9:
			b = &t.l36
		default:
			bad++
			continue
		}
		b.keys = append(b.keys, k)
		b.names = append(b.names, name)
	}
	for _, b := range []*block{&t.l24, &t.l28, &t.l36} {
		sort.Sort(b)
	}
	return t, bad
}

func (b *block) Len() int           { return len(b.keys) }
func (b *block) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b *block) Swap(i, j int) {
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
	b.names[i], b.names[j] = b.names[j], b.names[i]
}

// Len is the number of assignments in the table.
func (t *Table) Len() int { return len(t.l24.keys) + len(t.l28.keys) + len(t.l36.keys) }

// Lookup returns the registrant of mac's prefix, longest assignment first
// (an MA-S block inside a MA-L owned by the IEEE names the real owner).
// Locally administered addresses (randomised Wi-Fi MACs, VMs, containers)
// have no registrant and return false, as do addresses shorter than 3 bytes
// and the all-zero placeholder (loopback captures, unset fields), whose
// prefix happens to be registered to Xerox.
func (t *Table) Lookup(mac net.HardwareAddr) (string, bool) {
	if len(mac) < 3 || IsLocal(mac) || isZero(mac) {
		return "", false
	}
	var v uint64
	n := min(len(mac), 6)
	for i := 0; i < n; i++ {
		v = v<<8 | uint64(mac[i])
	}
	v <<= 8 * uint(6-n)
	if n >= 5 {
		if name, ok := t.l36.find(v >> 12); ok {
			return name, true
		}
	}
	if n >= 4 {
		if name, ok := t.l28.find(v >> 20); ok {
			return name, true
		}
	}
	return t.l24.find(v >> 24)
}

func isZero(mac net.HardwareAddr) bool {
	for _, b := range mac {
		if b != 0 {
			return false
		}
	}
	return true
}

// IsLocal reports whether mac is locally administered (the U/L bit, second
// lowest bit of the first octet): such addresses carry no OUI.
func IsLocal(mac net.HardwareAddr) bool {
	return len(mac) > 0 && mac[0]&0x02 != 0
}

// IsMulticast reports whether mac is a group address.
func IsMulticast(mac net.HardwareAddr) bool {
	return len(mac) > 0 && mac[0]&0x01 != 0
}
