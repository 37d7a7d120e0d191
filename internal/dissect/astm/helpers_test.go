package astm

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// The test streams are built here from the structure CLSI LIS1-A (E1381
// frames) and LIS2-A2 (E1394 records) define; see testdata/README.md.

// meta is the instrument (10.2.0.31:49152) talking to the LIS
// (10.2.0.5:5000) when c2s, the reverse otherwise.
func meta(c2s bool) *dissect.Meta {
	m := &dissect.Meta{
		Time: time.Unix(1700000000, 0), SrcMAC: net.HardwareAddr{0, 0x1e, 0xc0, 1, 2, 3}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 5},
		SrcIP: netip.MustParseAddr("10.2.0.31"), DstIP: netip.MustParseAddr("10.2.0.5"), SrcPort: 49152, DstPort: 5000, Transport: "tcp",
	}
	if !c2s {
		r := m.Reverse()
		return &r
	}
	return m
}

// frame is one E1381 frame: STX FN text term C1 C2 CR LF, with the
// checksum of FN through term (sum mod 256, two upper-case hex digits).
func frame(fn int, text string, term byte) []byte {
	b := []byte{stx, byte('0' + fn%8)}
	b = append(b, text...)
	b = append(b, term)
	var sum byte
	for _, c := range b[1:] {
		sum += c
	}
	return append(b, fmt.Sprintf("%02X\r\n", sum)...)
}

// e1381 frames a message: ENQ, each record (with its CR) in frames of at
// most max text bytes (intermediate ones ending in ETB), EOT.
func e1381(max int, records ...string) []byte {
	b := []byte{enq}
	fn := 1
	for _, r := range records {
		r += "\r"
		for len(r) > max {
			b = append(b, frame(fn, r[:max], etb)...)
			r = r[max:]
			fn++
		}
		b = append(b, frame(fn, r, etx)...)
		fn++
	}
	return append(b, eot)
}

// raw joins records with sep, without framing.
func raw(sep string, records ...string) []byte {
	return []byte(strings.Join(records, sep) + sep)
}

// canaries are the PHI, secrets and addressing planted in the messages:
// none may reach an observation.
var canaries = []string{
	"CANARY", "19450607", "97.123456", "SPEC0042", // patient, birth date, result, specimen
	"MSGCTRL77", "S3CRETPW", "Springfield", "555-0100", "20240102030405", // H-3, H-4, H-6, H-8, H-14
	"Reagent lot", // comment in H-11
}

// instrumentHeader is a Sysmex-style Header with every field filled.
const instrumentHeader = `H|\^&|MSGCTRL77|S3CRETPW|CS-2500^01-70^21768^^^Rezus^BV981798|12 Lab Street^Springfield|reserved|555-0100|8N1|LIS|Reagent lot 5|P|LIS2-A2|20240102030405`

// body is a message's records after the Header: a patient, an order with
// its specimen ID, a result, a comment and the terminator.
var body = []string{
	`P|1||CANARYPID77||CANARY^ALICE^Q||19450607|F|||||CANARYDOC`,
	`O|1|SPEC0042^01||^^^PT\^^^APTT|R|20240102030000|||||||||CITRATE`,
	`R|1|^^^PT^^^|97.123456|sec||N||F||||20240102030405|CS-2500`,
	`C|1|I|CANARY comment about the patient|G`,
	`M|1|CANARY^MANUFACTURER^RECORD`,
	`S|1|CANARYSCIENTIFIC`,
	`Q|1|^CANARYQUERY||ALL`,
	`L|1|N`,
}

func message(h string) []string { return append([]string{h}, body...) }

// lisHeader is the LIS answering (a host query reply) with its own Header.
const lisHeader = `H|\^&|||LIS|||||CS-2500||P|1394-97`

func collect(t testing.TB, d *Dissector, deliveries ...delivery) []observe.Observation {
	t.Helper()
	var c observe.Collector
	st := d.NewStream()
	for _, dl := range deliveries {
		if dl.gap {
			st.Gap(dl.c2s)
			continue
		}
		if st.Data(meta(dl.c2s), dl.c2s, dl.b, &c) {
			break
		}
	}
	st.(dissect.Ender).End(meta(true), &c)
	if d.Dropped != 0 {
		t.Fatalf("guard dropped %d fields", d.Dropped)
	}
	return c.Obs
}

type delivery struct {
	c2s bool
	gap bool
	b   []byte
}

func c2s(b []byte) delivery { return delivery{c2s: true, b: b} }
func s2c(b []byte) delivery { return delivery{c2s: false, b: b} }
