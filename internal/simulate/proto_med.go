package simulate

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// ---- DICOM Upper Layer (PS3.8) and DIMSE (PS3.7) ----

const (
	uidAppContext   = "1.2.840.10008.3.1.1.1"
	uidImplicitLE   = "1.2.840.10008.1.2"
	uidExplicitLE   = "1.2.840.10008.1.2.1"
	uidJPEGLossless = "1.2.840.10008.1.2.4.70"
	uidVerification = "1.2.840.10008.1.1"
	uidMPPS         = "1.2.840.10008.3.1.2.3.3"
	uidMWLFind      = "1.2.840.10008.5.1.4.31"
)

func ae16(s string) []byte {
	b := []byte(s)
	if len(b) > 16 {
		b = b[:16]
	}
	for len(b) < 16 {
		b = append(b, ' ')
	}
	return b
}

func item(typ byte, v []byte) []byte {
	b := []byte{typ, 0, byte(len(v) >> 8), byte(len(v))}
	return append(b, v...)
}

type presCtx struct {
	id       byte
	abstract string
	ts       []string
}

func userInfo(maxPDU uint32, implUID, implVer string) []byte {
	var u []byte
	u = append(u, item(0x51, u32(maxPDU))...)
	u = append(u, item(0x52, []byte(implUID))...)
	if implVer != "" {
		u = append(u, item(0x55, []byte(implVer))...)
	}
	return item(0x50, u)
}

func assocPDU(typ byte, called, calling string, body []byte) []byte {
	v := []byte{0, 1, 0, 0}
	v = append(v, ae16(called)...)
	v = append(v, ae16(calling)...)
	v = append(v, make([]byte, 32)...)
	v = append(v, body...)
	b := []byte{typ, 0}
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

func associateRQ(called, calling string, ctxs []presCtx, maxPDU uint32, implUID, implVer string) []byte {
	body := item(0x10, []byte(uidAppContext))
	for _, c := range ctxs {
		v := []byte{c.id, 0, 0, 0}
		v = append(v, item(0x30, []byte(c.abstract))...)
		for _, t := range c.ts {
			v = append(v, item(0x40, []byte(t))...)
		}
		body = append(body, item(0x20, v)...)
	}
	body = append(body, userInfo(maxPDU, implUID, implVer)...)
	return assocPDU(0x01, called, calling, body)
}

func associateAC(called, calling string, ctxs []presCtx, maxPDU uint32, implUID, implVer string) []byte {
	body := item(0x10, []byte(uidAppContext))
	for _, c := range ctxs {
		v := []byte{c.id, 0, 0, 0}
		v = append(v, item(0x40, []byte(c.ts[0]))...)
		body = append(body, item(0x21, v)...)
	}
	body = append(body, userInfo(maxPDU, implUID, implVer)...)
	return assocPDU(0x02, called, calling, body)
}

// pdata wraps fragments into one P-DATA-TF PDU, one PDV each.
func pdata(ctx byte, command, last bool, frag []byte) []byte {
	mch := byte(0)
	if command {
		mch |= 1
	}
	if last {
		mch |= 2
	}
	pdv := binary.BigEndian.AppendUint32(nil, uint32(2+len(frag)))
	pdv = append(pdv, ctx, mch)
	pdv = append(pdv, frag...)
	b := []byte{0x04, 0}
	b = binary.BigEndian.AppendUint32(b, uint32(len(pdv)))
	return append(b, pdv...)
}

func releasePDU(typ byte) []byte { return []byte{typ, 0, 0, 0, 0, 4, 0, 0, 0, 0} }

// dcmEl appends one element; explicit selects Explicit VR Little Endian.
func dcmEl(b []byte, group, elem uint16, vr string, val []byte, explicit bool) []byte {
	if len(val)%2 == 1 {
		pad := byte(' ')
		if vr == "UI" || vr == "OB" {
			pad = 0
		}
		val = append(val, pad)
	}
	b = binary.LittleEndian.AppendUint16(b, group)
	b = binary.LittleEndian.AppendUint16(b, elem)
	if !explicit {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(val)))
		return append(b, val...)
	}
	b = append(b, vr...)
	switch vr {
	case "OB", "OW", "SQ", "UN", "UT", "OF":
		b = append(b, 0, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(val)))
	default:
		b = binary.LittleEndian.AppendUint16(b, uint16(len(val)))
	}
	return append(b, val...)
}

func us(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

// dimseCommand renders a command set (always Implicit VR LE) with its group length.
func dimseCommand(sopClass string, field, msgID, respondedTo uint16, dataSet uint16, status int, sopInst string) []byte {
	var b []byte
	b = dcmEl(b, 0, 0x0002, "UI", []byte(sopClass), false)
	b = dcmEl(b, 0, 0x0100, "US", us(field), false)
	if msgID != 0 {
		b = dcmEl(b, 0, 0x0110, "US", us(msgID), false)
	}
	if respondedTo != 0 {
		b = dcmEl(b, 0, 0x0120, "US", us(respondedTo), false)
	}
	if field == 0x0001 {
		b = dcmEl(b, 0, 0x0700, "US", us(0), false)
	}
	b = dcmEl(b, 0, 0x0800, "US", us(dataSet), false)
	if status >= 0 {
		b = dcmEl(b, 0, 0x0900, "US", us(uint16(status)), false)
	}
	if sopInst != "" {
		tag := uint16(0x1000)
		b = dcmEl(b, 0, tag, "UI", []byte(sopInst), false)
	}
	gl := dcmEl(nil, 0, 0, "UL", binary.LittleEndian.AppendUint32(nil, uint32(len(b))), false)
	return append(gl, b...)
}

type imageInfo struct {
	sopClass, sopInst, study, series                                      string
	modality, manufacturer, institution, station, model, serial, software string
	patientName, patientID, studyDate                                     string
	rows, cols                                                            uint16
}

// imageDataset renders the identifying header and pixel data of one image.
func imageDataset(im imageInfo, explicit bool, pixels []byte) []byte {
	var b []byte
	el := func(g, e uint16, vr, v string) { b = dcmEl(b, g, e, vr, []byte(v), explicit) }
	el(0x0008, 0x0016, "UI", im.sopClass)
	el(0x0008, 0x0018, "UI", im.sopInst)
	el(0x0008, 0x0020, "DA", im.studyDate)
	el(0x0008, 0x0060, "CS", im.modality)
	el(0x0008, 0x0070, "LO", im.manufacturer)
	el(0x0008, 0x0080, "LO", im.institution)
	el(0x0008, 0x1010, "SH", im.station)
	el(0x0008, 0x1090, "LO", im.model)
	el(0x0010, 0x0010, "PN", im.patientName)
	el(0x0010, 0x0020, "LO", im.patientID)
	el(0x0018, 0x1000, "LO", im.serial)
	el(0x0018, 0x1020, "LO", im.software)
	el(0x0020, 0x000d, "UI", im.study)
	el(0x0020, 0x000e, "UI", im.series)
	b = dcmEl(b, 0x0028, 0x0002, "US", us(1), explicit)
	el(0x0028, 0x0004, "CS", "MONOCHROME2")
	b = dcmEl(b, 0x0028, 0x0010, "US", us(im.rows), explicit)
	b = dcmEl(b, 0x0028, 0x0011, "US", us(im.cols), explicit)
	b = dcmEl(b, 0x0028, 0x0100, "US", us(16), explicit)
	b = dcmEl(b, 0x0028, 0x0101, "US", us(12), explicit)
	b = dcmEl(b, 0x0028, 0x0102, "US", us(11), explicit)
	b = dcmEl(b, 0x0028, 0x0103, "US", us(0), explicit)
	return dcmEl(b, 0x7fe0, 0x0010, "OW", pixels, explicit)
}

// ---- HL7 v2 over MLLP ----

func mllp(msg string) []byte {
	b := make([]byte, 0, len(msg)+3)
	b = append(b, 0x0b)
	b = append(b, msg...)
	return append(b, 0x1c, 0x0d)
}

func hl7Time(ns int64) string { return time.Unix(0, ns).UTC().Format("20060102150405") + "+0000" }

var canaryGiven = []string{"ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF", "HOTEL", "INDIA", "JULIET"}

func canaryPatient(n int) (name, id string) {
	return fmt.Sprintf("%sPATIENT%04d^%s", CanaryPrefix, n%10000, canaryGiven[n%len(canaryGiven)]), fmt.Sprintf("%s%06d", CanaryIDPrefix, n%1000000)
}

// pcd01 renders an IHE PCD-01 ORU^R01 for one bedside device: the sender
// (itself or its gateway) and the device whose EUI-64 fills OBX-18.
type pcdReport struct {
	sendApp, sendEUI, facility, recvApp, control string
	dev                                          *device
	loc, bed                                     string
	now                                          int64
	patient                                      int
	vitals                                       []string // "code^name^MDC|value|unit^name^MDC"
}

func pcd01(p pcdReport) string {
	ts := hl7Time(p.now)
	eui := p.dev.mac.eui64()
	k := p.dev.kind
	vendor := k.HL7.Vendor
	equip := eui + "^" + vendor + "^" + eui + "^EUI-64"
	name, pid := canaryPatient(p.patient)
	var b strings.Builder
	fmt.Fprintf(&b, "MSH|^~\\&|%s^%s^EUI-64|%s|%s|%s|%s||ORU^R01^ORU_R01|%s|P|2.6|||NE|AL||||||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO\r",
		p.sendApp, p.sendEUI, p.facility, p.recvApp, p.facility, ts, p.control)
	fmt.Fprintf(&b, "PID|||%s^^^SYNTHOSP^MR||%s^^^^L||19700101|U\r", pid, name)
	fmt.Fprintf(&b, "PV1||I|%s^^%s\r", p.loc, p.bed)
	fmt.Fprintf(&b, "OBR|1|%s^%s^%s^EUI-64|%s^%s^%s^EUI-64|182777000^monitoring of patient^SCT|||%s\r",
		p.control, p.sendApp, p.sendEUI, p.control, p.sendApp, p.sendEUI, ts)
	mds := k.HL7.MDS
	fmt.Fprintf(&b, "OBX|1||%s^MDC|1.0.0.0|||||||X|||||||%s\r", mds, equip)
	fmt.Fprintf(&b, "OBX|2|ST|67880^MDC_ATTR_ID_MODEL^MDC|1.0.0.0.1|%s^%s||||||R|||%s||||%s\r", k.Manufacturer, p.dev.model(), ts, equip)
	fmt.Fprintf(&b, "OBX|3|ST|531969^MDC_ID_PROD_SPEC_SERIAL^MDC|1.0.0.0.2|%s||||||R|||%s||||%s\r", p.dev.serial, ts, equip)
	fmt.Fprintf(&b, "OBX|4|ST|531972^MDC_ID_PROD_SPEC_SW^MDC|1.0.0.0.3|%s||||||R|||%s||||%s\r", p.dev.version(), ts, equip)
	for i, v := range p.vitals {
		parts := strings.SplitN(v, "|", 3)
		fmt.Fprintf(&b, "OBX|%d|NM|%s|1.1.1.%d|%s|%s|||||R|||%s||||%s\r", 5+i, parts[0], i+1, parts[1], parts[2], ts, equip)
	}
	return b.String()
}

func hl7ACK(app, facility, recvApp, control string, now int64, typ string) string {
	return fmt.Sprintf("MSH|^~\\&|%s|%s|%s|%s|%s||ACK^%s^ACK|ACK%s|P|2.6\rMSA|AA|%s\r", app, facility, recvApp, facility, hl7Time(now), typ, control, control)
}
