package hl7

import (
	"bytes"
	"strconv"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// Device attributes of IHE PCD-01 device-description rows.
const (
	attrNone = iota
	attrModel
	attrSerial
	attrSoftware
	attrFirmware
	attrHardware
	attrManufacturer
	attrUnspecified // MDC_ID_PROD_SPEC_UNSPECIFIED: only labelled parts are used
	attrSysID       // MDC_ATTR_SYS_ID: the EUI-64 of the system
	numAttr
)

var attrKeys = [numAttr]string{
	attrModel:        "hl7.device_model",
	attrSerial:       "hl7.device_serial",
	attrSoftware:     "hl7.device_software",
	attrFirmware:     "hl7.device_firmware",
	attrHardware:     "hl7.device_hardware",
	attrManufacturer: "hl7.device_manufacturer",
}

// attrByCode maps IEEE 11073-10101 term codes to attributes. The production
// specification rows are MDC_ID_PROD_SPEC_* = 531968 + ProdSpecEntry
// spec-type (unspecified 0, serial 1, part 2, hw 3, sw 4, fw 5, protocol 6).
var attrByCode = map[string]int{
	"67880":  attrModel,       // MDC_ATTR_ID_MODEL
	"531968": attrUnspecified, // MDC_ID_PROD_SPEC_UNSPECIFIED
	"531969": attrSerial,      // MDC_ID_PROD_SPEC_SERIAL
	"531971": attrHardware,    // MDC_ID_PROD_SPEC_HW
	"531972": attrSoftware,    // MDC_ID_PROD_SPEC_SW
	"531973": attrFirmware,    // MDC_ID_PROD_SPEC_FW
	"67972":  attrSysID,       // MDC_ATTR_SYS_ID
}

// attrByName is used when the code is absent or unknown: OBX-3 text.
var attrByName = []struct {
	name string
	attr int
}{
	{"MDC_ATTR_ID_MODEL", attrModel},
	{"MDC_ID_PROD_SPEC_SERIAL", attrSerial},
	{"MDC_ID_PROD_SPEC_SW", attrSoftware},
	{"MDC_ID_PROD_SPEC_FW", attrFirmware},
	{"MDC_ID_PROD_SPEC_HW", attrHardware},
	{"MDC_ID_PROD_SPEC_UNSPECIFIED", attrUnspecified},
	{"MDC_ATTR_ID_MANUF", attrManufacturer},
	{"MDC_ID_MANUF", attrManufacturer},
	{"MDC_ATTR_SYS_ID", attrSysID},
}

func attrOf(code, name []byte) int {
	if a, ok := attrByCode[string(code)]; ok {
		return a
	}
	for _, n := range attrByName {
		if bytes.Equal(name, []byte(n.name)) {
			return n.attr
		}
	}
	return attrNone
}

// labels are the prefixes vendors use inside one free-text product string,
// e.g. "MX800 SN:1234 SW:M.00.03".
var labels = []struct {
	prefix string
	attr   int
}{
	{"SN:", attrSerial}, {"S/N:", attrSerial}, {"SERIAL:", attrSerial},
	{"SW:", attrSoftware}, {"FW:", attrFirmware}, {"HW:", attrHardware},
	{"MODEL:", attrModel}, {"MFR:", attrManufacturer}, {"MANUFACTURER:", attrManufacturer},
}

// device is one device described in a message (an MDS and its rows).
// Values are slices of the frame, converted only when emitted.
type device struct {
	mds   []byte // OBX-4 first sub-id
	equip []byte // OBX-18 first repetition
	typ   []byte // OBX-3 of its MDS row
	vals  [numAttr][]byte
}

// message is what Ward keeps of one HL7 message while parsing it.
type message struct {
	d       delims
	msh     []byte
	mshF    [22][]byte // MSH-1..21 (index = field number; 0 unused)
	obxF    [19][]byte // the OBX row being read, OBX-0..18
	msa     []byte
	codes   [][]byte
	devices []device
	prt     [][]byte
}

func (m *message) reset() {
	m.msh, m.msa = nil, nil
	m.codes, m.devices, m.prt = m.codes[:0], m.devices[:0], m.prt[:0]
}

// frame parses one MLLP frame: a message, or a batch of them (FHS/BHS).
func (s *stream) frame(m *dissect.Meta, frame []byte, e observe.Emitter) {
	msg := &s.d.msg
	msg.reset()
	msg.d = standard
	for rest := frame; len(rest) > 0; {
		var seg []byte
		seg, rest = nextSegment(rest)
		if len(seg) < 3 {
			continue
		}
		switch string(seg[:3]) {
		case "MSH":
			if msg.msh != nil {
				s.emit(m, msg, e)
				msg.reset()
			}
			if d, ok := parseDelims(seg); ok {
				msg.d, msg.msh = d, seg
				splitFields(seg, d, msg.mshF[:])
			}
		case "FHS", "BHS":
			if d, ok := parseDelims(seg); ok && msg.msh == nil {
				msg.d = d
			}
		case "MSA":
			if msg.msh != nil {
				msg.msa = seg
			}
		case "OBX":
			if msg.msh != nil {
				s.obx(msg, seg)
			}
		case "PRT":
			if msg.msh != nil {
				for _, n := range []int{10, 16} {
					f := field(seg, msg.d, n)
					for r := 0; r < 8; r++ {
						v := repetition(f, msg.d, r)
						if v == nil {
							break
						}
						if len(v) > 0 && len(msg.prt) < 32 {
							msg.prt = append(msg.prt, v)
						}
					}
				}
			}
		default:
			// PID, PD1, NK1, PV1, IN1, GT1, OBR, NTE...: patient and order
			// data. Never parsed, never copied.
		}
	}
	if msg.msh != nil {
		s.emit(m, msg, e)
	}
}

// obx reads the parts of an OBX row that describe devices. OBX-5 is read
// only for device-attribute rows; measurement values are never touched.
func (s *stream) obx(msg *message, seg []byte) {
	d := msg.d
	f := &msg.obxF
	splitFields(seg, d, f[:])
	id := repetition(f[3], d, 0)
	code, name, system := component(id, d, 1), component(id, d, 2), component(id, d, 3)
	if len(code) > 0 && (string(system) == "MDC" || bytes.HasPrefix(name, []byte("MDC_"))) {
		dup := false
		for _, c := range msg.codes {
			if bytes.Equal(c, id) {
				dup = true
				break
			}
		}
		if !dup && len(msg.codes) < 128 {
			msg.codes = append(msg.codes, id)
		}
	}
	sub := f[4]
	if i := bytes.IndexByte(sub, '.'); i >= 0 {
		sub = sub[:i]
	}
	equip := repetition(f[18], d, 0)
	attr := attrOf(code, name)
	isMDS := bytes.HasPrefix(name, []byte("MDC_DEV_")) && bytes.HasSuffix(name, []byte("_MDS"))
	if len(equip) == 0 && attr == attrNone && !isMDS {
		return
	}
	dev := msg.device(sub, equip)
	if dev == nil {
		return
	}
	if isMDS && dev.typ == nil {
		dev.typ = id
	}
	if attr != attrNone {
		applyAttr(dev, attr, f[5], d)
	}
}

// device finds the device an OBX row belongs to: by equipment identifier
// when the row has one, else by its MDS sub-id.
func (msg *message) device(mds, equip []byte) *device {
	for i := range msg.devices {
		dv := &msg.devices[i]
		if len(equip) > 0 && bytes.Equal(dv.equip, equip) {
			if dv.mds == nil {
				dv.mds = mds
			}
			return dv
		}
	}
	for i := range msg.devices {
		dv := &msg.devices[i]
		if len(mds) > 0 && bytes.Equal(dv.mds, mds) && (len(equip) == 0 || len(dv.equip) == 0) {
			if len(dv.equip) == 0 {
				dv.equip = equip
			}
			return dv
		}
	}
	if len(msg.devices) >= 32 {
		return nil
	}
	msg.devices = append(msg.devices, device{mds: mds, equip: equip})
	return &msg.devices[len(msg.devices)-1]
}

// applyAttr stores a device attribute value. A value with labelled parts
// ("8015 SN:123 SW:1.2") is split: each label fills its attribute and the
// unlabelled lead fills the row's own attribute, or the model when the
// row's attribute is labelled too. A model value with components is an
// 11073 SystemModel: manufacturer^model-number.
func applyAttr(dev *device, attr int, v []byte, d delims) {
	if attr == attrSysID {
		if len(dev.equip) == 0 {
			dev.equip = v
		}
		return
	}
	lead, labelled := v, false
	rest := v
	for len(rest) > 0 {
		tok := rest
		next := []byte(nil)
		if i := bytes.IndexByte(rest, ' '); i >= 0 {
			tok, next = rest[:i], rest[i+1:]
		}
		matched := false
		for _, l := range labels {
			if len(tok) >= len(l.prefix) && bytes.EqualFold(tok[:len(l.prefix)], []byte(l.prefix)) {
				val := tok[len(l.prefix):]
				if len(val) == 0 && len(next) > 0 { // "SN: 1234"
					val = next
					if i := bytes.IndexByte(next, ' '); i >= 0 {
						val, next = next[:i], next[i+1:]
					} else {
						next = nil
					}
				}
				if !labelled {
					lead = bytes.TrimSpace(v[:len(v)-len(rest)])
				}
				labelled, matched = true, true
				if len(val) > 0 {
					dev.vals[l.attr] = val
				}
				break
			}
		}
		_ = matched
		rest = next
	}
	if labelled {
		if len(lead) > 0 {
			switch {
			case attr != attrUnspecified && len(dev.vals[attr]) == 0:
				dev.vals[attr] = lead
			case len(dev.vals[attrModel]) == 0:
				dev.vals[attrModel] = lead
			}
		}
		return
	}
	if attr == attrUnspecified {
		return
	}
	if attr == attrModel {
		if i := bytes.IndexByte(v, d.comp); i >= 0 {
			manuf, model := v[:i], component(v, d, 2)
			if len(manuf) > 0 {
				dev.vals[attrManufacturer] = manuf
			}
			if len(model) > 0 {
				dev.vals[attrModel] = model
			}
			return
		}
	}
	dev.vals[attr] = v
}

// emit sends the message-level observation (about the sender), unless it
// repeats the previous one and is only counted, and one observation per
// device described that this connection has not reported yet.
func (s *stream) emit(m *dissect.Meta, msg *message, e observe.Emitter) {
	s.messages++
	dd := s.d
	d := msg.d
	if !s.counted(m, msg, e) {
		s.emitMessage(m, msg, e)
	}
	o := &dd.obs
	for i := range msg.devices {
		dv := &msg.devices[i]
		// Monitors repeat their description in every message: only one
		// not yet reported on this connection is turned into strings.
		h := newFNV()
		dd.hashValue(&h, "hl7.equipment_id", dv.equip, d)
		dd.hashValue(&h, "hl7.device_type", dv.typ, d)
		for a, v := range dv.vals {
			if attrKeys[a] != "" {
				dd.hashValue(&h, attrKeys[a], v, d)
			}
		}
		if !s.firstDevice(uint64(h)) {
			continue
		}
		m.Fill(o, "hl7")
		o.Add("hl7.equipment_id", dd.text(dv.equip, d))
		o.Add("hl7.device_type", dd.text(dv.typ, d))
		for a, v := range dv.vals {
			if attrKeys[a] != "" && len(v) > 0 {
				o.Add(attrKeys[a], dd.text(v, d))
			}
		}
		if len(o.Fields) > 0 {
			dd.guard.Emit(e, o)
		}
	}
	for _, p := range msg.prt {
		h := newFNV()
		dd.hashValue(&h, "hl7.device", p, d)
		if !s.firstDevice(uint64(h)) {
			continue
		}
		m.Fill(o, "hl7")
		o.Add("hl7.device", dd.text(p, d))
		if len(o.Fields) > 0 {
			dd.guard.Emit(e, o)
		}
	}
}

// counted reports whether msg repeats the header of the last message
// observed on this connection (same addressing, same hour, same header
// values), and if so counts it for the next flush instead.
func (s *stream) counted(m *dissect.Meta, msg *message, e observe.Emitter) bool {
	d := msg.d
	k := s.d.key[:0]
	k = append(k, m.SrcMAC...)
	k = append(k, 0)
	k = append(k, m.DstMAC...)
	src, dst := m.SrcIP.As16(), m.DstIP.As16()
	k = append(k, src[:]...)
	k = append(k, dst[:]...)
	k = append(k, byte(m.SrcPort>>8), byte(m.SrcPort), byte(m.DstPort>>8), byte(m.DstPort))
	for _, n := range []int{3, 4, 5, 6, 9, 12, 21} {
		k = normalize(k, msg.mshF[n], d)
		k = append(k, 0)
	}
	if msg.msa != nil {
		k = normalize(k, field(msg.msa, d, 1), d)
	}
	k = append(k, 0)
	for _, c := range msg.codes {
		k = normalize(k, c, d)
		k = append(k, ',')
	}
	s.d.key = k
	hour := m.Time.Unix() / 3600
	for i := range s.repeat { // a new hour closes both directions' counts
		if s.repeat[i].hour != hour {
			s.flush(e, i)
		}
	}
	r := &s.repeat[s.cur]
	if r.obs.Protocol == "" || hour != r.hour || !bytes.Equal(k, r.key) {
		s.flush(e, s.cur)
		r.key = append(r.key[:0], k...)
		r.hour = hour
		return false
	}
	r.n++
	if string(component(msg.mshF[9], d, 1)) == "ORU" {
		r.oru++
	}
	r.lastSeen = m.Time
	return true
}

// emitMessage sends the message-level observation and keeps a copy to
// count repeats against.
func (s *stream) emitMessage(m *dissect.Meta, msg *message, e observe.Emitter) {
	dd := s.d
	d := msg.d
	o := &dd.obs
	m.Fill(o, "hl7")
	o.Add("hl7.sending_application", dd.text(msg.mshF[3], d))
	o.Add("hl7.sending_facility", dd.text(msg.mshF[4], d))
	o.Add("hl7.receiving_application", dd.text(msg.mshF[5], d))
	o.Add("hl7.receiving_facility", dd.text(msg.mshF[6], d))
	mt := msg.mshF[9]
	typ, trig := component(mt, d, 1), component(mt, d, 2)
	if len(typ) > 0 {
		v := dd.text(typ, d)
		if len(trig) > 0 {
			v += "^" + dd.text(trig, d)
		}
		o.Add("hl7.message_type", v)
	}
	o.Add("hl7.version", dd.text(component(msg.mshF[12], d, 1), d))
	o.Add("hl7.profile", dd.text(repetition(msg.mshF[21], d, 0), d))
	if msg.msa != nil {
		o.Add("hl7.ack_code", dd.text(field(msg.msa, d, 1), d))
	}
	if len(msg.codes) > 0 {
		dd.codes = dd.codes[:0]
		for i, c := range msg.codes {
			if len(dd.codes) > 4096 {
				break
			}
			if i > 0 {
				dd.codes = append(dd.codes, ',')
			}
			dd.codes = normalize(dd.codes, c, d)
		}
		o.Add("hl7.observation_codes", string(dd.codes))
	}
	if string(typ) == "ORU" {
		o.Add("hl7.results", "1")
	}
	dd.guard.Emit(e, o)
	s.repeat[s.cur].obs = o.Clone()
}

// flush emits the count of one direction's repeated messages not yet
// reported.
func (s *stream) flush(e observe.Emitter, dir int) {
	r := &s.repeat[dir]
	if r.n == 0 {
		return
	}
	o := &s.d.obs
	fields := o.Fields[:0] // the scratch slice, not the kept observation's
	*o = r.obs
	o.Fields = fields
	for _, f := range r.obs.Fields {
		if f.Key != "hl7.results" {
			o.Add(f.Key, f.Value)
		}
	}
	o.Time = r.lastSeen
	o.Add("hl7.messages", strconv.Itoa(r.n))
	if r.oru > 0 {
		o.Add("hl7.results", strconv.Itoa(r.oru))
	}
	s.d.guard.Emit(e, o)
	r.n, r.oru = 0, 0
}

// firstDevice reports whether the device description hashed to h is new
// on this connection, and remembers it (up to a bound: past it every
// description counts as new again, which only costs repeats).
func (s *stream) firstDevice(h uint64) bool {
	for _, x := range s.devices {
		if x == h {
			return false
		}
	}
	if len(s.devices) < 64 {
		s.devices = append(s.devices, h)
	}
	return true
}
