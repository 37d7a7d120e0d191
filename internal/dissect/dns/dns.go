// Package dns reads unicast DNS (port 53) and LLMNR (port 5355) datagrams.
// Queries tell which names a device looks up (cloud endpoints identify
// vendors and apps); responses tell what those names resolved to. The wire
// parser in wire.go is shared with the mDNS dissector.
package dns

import (
	"fmt"
	"net/netip"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// keys are the field names of one protocol flavour ("dns" or "llmnr"),
// built once so emitting costs no string concatenation.
type keys struct {
	proto, query, qtype, response, rcode, answerName, answer, answerType string
	updateZone, updateName, updateAddress                                string
}

func keysFor(proto string) keys {
	return keys{
		proto:      proto,
		query:      proto + ".query",
		qtype:      proto + ".qtype",
		response:   proto + ".response",
		rcode:      proto + ".rcode",
		answerName: proto + ".answer_name",
		answer:     proto + ".answer",
		answerType: proto + ".answer_type",

		updateZone:    proto + ".update_zone",
		updateName:    proto + ".update_name",
		updateAddress: proto + ".update_address",
	}
}

// Dissector reads DNS-format datagrams on its configured port.
type Dissector struct {
	cfg  Config
	k    keys
	msg  Message
	obs  observe.Observation
	name []byte
	val  []byte
	zone []byte
	text TextCache
}

// New returns the unicast DNS dissector (protocol "dns", port 53).
func New() *Dissector { return newDissector(defaultConfig()) }

// NewLLMNR returns the LLMNR dissector (protocol "llmnr", port 5355): the
// same wire format, used by Windows hosts to resolve each other's names.
func NewLLMNR() *Dissector { return newDissector(llmnrConfig()) }

// NewWithConfig returns a dissector for cfg, e.g. DNS on a non-standard port.
func NewWithConfig(cfg Config) (*Dissector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newDissector(cfg), nil
}

func newDissector(cfg Config) *Dissector {
	return &Dissector{cfg: cfg, k: keysFor(cfg.Protocol)}
}

var _ dissect.UDPDissector = (*Dissector)(nil)

// Name is the configured protocol, "dns" or "llmnr".
func (d *Dissector) Name() string { return d.k.proto }

// MatchUDP accepts datagrams to or from the configured port that can hold a
// DNS header.
func (d *Dissector) MatchUDP(srcPort, dstPort uint16, payload []byte) bool {
	return (srcPort == d.cfg.Port || dstPort == d.cfg.Port) && len(payload) >= 12
}

// DissectUDP emits one observation per question (<p>.query, <p>.qtype, and
// for responses <p>.response=1 and <p>.rcode) and, for responses, one per
// answer-section A/AAAA/CNAME/PTR record (<p>.answer_name, <p>.answer,
// <p>.answer_type). Dynamic updates (opcode 5) adding an address emit
// <p>.update_zone, <p>.update_name and <p>.update_address.
func (d *Dissector) DissectUDP(m *dissect.Meta, p []byte, e observe.Emitter) error {
	if err := d.msg.Parse(p); err != nil {
		return fmt.Errorf("%s: %w", d.k.proto, err)
	}
	switch d.msg.Opcode() {
	case 0:
	case 5:
		d.update(m, p, e)
		return nil
	default:
		// NOTIFY, STATUS and others reuse the sections for other meanings.
		return nil
	}
	resp := d.msg.Response()
	for _, q := range d.msg.Questions {
		var err error
		d.name, err = AppendName(d.name[:0], p, q.Name)
		if err != nil || len(d.name) == 0 {
			continue
		}
		m.Fill(&d.obs, d.k.proto)
		d.obs.Add(d.k.query, d.text.Name(d.name, MaxName))
		d.obs.Add(d.k.qtype, d.typeName(q.Type))
		if resp {
			d.obs.Add(d.k.response, "1")
			d.obs.Add(d.k.rcode, rcodeName(d.msg.RCode()))
		}
		e.Emit(&d.obs)
	}
	if !resp {
		return nil
	}
	for i := range d.msg.Records {
		r := &d.msg.Records[i]
		if r.Section != Answer {
			break
		}
		if !d.answerValue(p, r) {
			continue
		}
		var err error
		d.name, err = AppendName(d.name[:0], p, r.Name)
		if err != nil || len(d.name) == 0 {
			continue
		}
		m.Fill(&d.obs, d.k.proto)
		d.obs.Add(d.k.response, "1")
		d.obs.Add(d.k.answerName, d.text.Name(d.name, MaxName))
		d.obs.Add(d.k.answer, d.text.Name(d.val, MaxName)) // an address or a name
		d.obs.Add(d.k.answerType, TypeString(r.Type))
		e.Emit(&d.obs)
	}
	return nil
}

// update reports RFC 2136 dynamic updates that add A/AAAA records: hosts
// (Windows clients, DHCP servers on their behalf) registering their own
// name. The zone is the single "question"; the update section is parsed as
// the authority section. Responses and deletions (class NONE/ANY) are skipped.
func (d *Dissector) update(m *dissect.Meta, p []byte, e observe.Emitter) {
	if d.msg.Response() || len(d.msg.Questions) == 0 {
		return
	}
	var zone []byte
	for i := range d.msg.Records {
		r := &d.msg.Records[i]
		if r.Section != Authority || r.Class != 1 || (r.Type != TypeA && r.Type != TypeAAAA) || !d.answerValue(p, r) {
			continue
		}
		var err error
		if zone == nil {
			if d.zone, err = AppendName(d.zone[:0], p, d.msg.Questions[0].Name); err != nil {
				return
			}
			zone = d.zone
		}
		if d.name, err = AppendName(d.name[:0], p, r.Name); err != nil || len(d.name) == 0 {
			continue
		}
		m.Fill(&d.obs, d.k.proto)
		d.obs.Add(d.k.updateZone, d.text.Name(zone, MaxName))
		d.obs.Add(d.k.updateName, d.text.Name(d.name, MaxName))
		d.obs.Add(d.k.updateAddress, d.text.Text(d.val, MaxText))
		e.Emit(&d.obs)
	}
}

// typeName returns the mnemonic, allocating only for uncommon types.
func (d *Dissector) typeName(t uint16) string {
	if s := TypeString(t); s != "" {
		return s
	}
	d.val = TypeName(d.val[:0], t)
	return d.text.Text(d.val, MaxText)
}

// answerValue formats r's data into d.val when r is a type Ward reports.
func (d *Dissector) answerValue(p []byte, r *Record) bool {
	rd := r.RData(p)
	d.val = d.val[:0]
	switch r.Type {
	case TypeA:
		if len(rd) != 4 {
			return false
		}
		d.val = netip.AddrFrom4([4]byte(rd)).AppendTo(d.val)
	case TypeAAAA:
		if len(rd) != 16 {
			return false
		}
		d.val = netip.AddrFrom16([16]byte(rd)).AppendTo(d.val)
	case TypeCNAME, TypePTR:
		var err error
		d.val, err = AppendName(d.val, p, r.Data)
		if err != nil {
			return false
		}
	default:
		return false
	}
	return len(d.val) > 0
}

func rcodeName(c uint8) string {
	switch c {
	case 0:
		return "NOERROR"
	case 1:
		return "FORMERR"
	case 2:
		return "SERVFAIL"
	case 3:
		return "NXDOMAIN"
	case 4:
		return "NOTIMP"
	case 5:
		return "REFUSED"
	default:
		return "RCODE" + fmt.Sprint(c)
	}
}
