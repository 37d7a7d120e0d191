package simulate

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/canon"
)

// conn opens a TCP connection from a to b:port, routing MACs through the
// gateways when they are on different subnets.
func (s *sim) conn(t int64, a, b *device, port uint16) *tcpConn {
	c := a.ep(a.ephemeral(s.rng))
	v := b.ep(port)
	c.mac, v.mac = a.mac, b.mac
	k := s.newConn(t, c, v)
	k.cmac, k.vmac = s.hop(a, b), s.hop(b, a)
	return k
}

// connExt opens a connection from a to an address outside the hospital.
func (s *sim) connExt(t int64, a *device, ip ip4, port uint16) *tcpConn {
	c := a.ep(a.ephemeral(s.rng))
	v := endpoint{mac: mac{0x00, 0x00, 0x5e, 0x00, 0x01, 0x01}, ip: ip, port: port, os: osProfiles["linux"]}
	v.os.ttl = 64 - byte(8+s.rng.IntN(10)) // a public server several hops away
	k := s.newConn(t, c, v)
	k.cmac = s.net.locs[a.loc].router
	k.vmac = a.mac
	k.vsrc = s.net.locs[a.loc].router
	return k
}

func (s *sim) client(d *device) *device {
	// A workstation or the NMS browses device web UIs.
	return s.devs[s.net.nms]
}

func (s *sim) httpToDevice(d *device, t int64) {
	hs := d.kind.HTTP
	if hs == nil || hs.Server == "" {
		return
	}
	port := uint16(80)
	for _, l := range d.kind.Listen {
		if l.Port == 8080 || l.Port == 80 {
			port = l.Port
		}
	}
	s.saw(d, t, pHTTP)
	k := s.conn(t, s.client(d), d, port)
	k.open()
	k.send(true, httpRequest(d.ip.String(), "/", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"))
	k.send(false, httpResponse(d.expand(hs.Server), d.kind.Manufacturer+" "+d.model(), k.t))
	k.close()
}

func (s *sim) httpFromDevice(d *device, t int64) {
	hs := d.kind.HTTP
	if hs == nil || hs.UserAgent == "" {
		return
	}
	ehr := s.devs[s.net.ehr]
	s.saw(d, t, pHTTP)
	s.saw(ehr, t, pHTTP)
	k := s.conn(t, d, ehr, 80)
	k.vmac = s.hop(ehr, d)
	k.open()
	k.send(true, httpRequest("epic."+s.cfg.Domain, "/status", d.expand(hs.UserAgent)))
	k.send(false, httpResponse(ehr.kind.HTTP.Server, "Status", k.t))
	k.close()
}

func (s *sim) tlsToDevice(d *device, t int64) {
	if d.kind.TLS == nil {
		return
	}
	port := uint16(443)
	for _, l := range d.kind.Listen {
		if l.Port == 8443 {
			port = 8443
		}
	}
	s.saw(d, t, pTLS)
	k := s.conn(t, s.client(d), d, port)
	k.open()
	k.send(true, clientHello(s.rng, "", []string{"http/1.1"}, false))
	k.send(false, serverFlight(s.rng, s.certificate(d)))
	k.close()
}

func (s *sim) tlsFromDevice(d *device, t int64, tls13 bool) {
	ts := d.kind.TLS
	if ts == nil || ts.SNI == "" {
		return
	}
	ip, peer := s.dnsLookup(d, t, ts.SNI)
	t += 5 * ms
	s.saw(d, t, pTLS)
	var k *tcpConn
	if peer != nil {
		k = s.conn(t, d, peer, 443)
	} else {
		k = s.connExt(t, d, ip, 443)
	}
	k.open()
	alpn := []string{"http/1.1"}
	if tls13 {
		alpn = []string{"h2", "http/1.1"}
	}
	k.send(true, clientHello(s.rng, ts.SNI, alpn, tls13))
	k.close()
}

func (s *sim) smb2(d, srv *device, t int64) {
	s.saw(d, t, pSMB)
	k := s.conn(t, d, srv, 445)
	k.open()
	k.send(true, smb2NegotiateReq(s.rng))
	k.send(false, smb2NegotiateResp(s.rng, k.t))
	k.close()
}

func (s *sim) smb1(d, srv *device, t int64) {
	sm := d.kind.SMB
	if sm == nil {
		return
	}
	s.saw(d, t, pSMB)
	k := s.conn(t, d, srv, 445)
	k.open()
	k.send(true, smb1NegotiateReq())
	k.send(false, smb1NegotiateResp(s.rng, k.t, "HOSPITAL"))
	k.send(true, smb1SessionSetupReq(s.rng, "svc_"+strings.ToLower(d.kind.Hostname), "HOSPITAL", sm.NativeOS, sm.LanMan))
	k.send(false, smb1SessionSetupResp("Windows Server 2016 Standard 14393", "Windows Server 2016 Standard 6.3", "HOSPITAL"))
	k.close()
}

// probeService shows a listening port: a short connection to it, with an
// SSH banner where the port is 22.
func (s *sim) probeService(d *device, t int64) {
	svcs := append(append([]Service(nil), d.kind.Listen...), d.extra...)
	var tcp []Service
	for _, sv := range svcs {
		if sv.Transport == "tcp" {
			tcp = append(tcp, sv)
		}
	}
	if len(tcp) == 0 {
		return
	}
	sv := tcp[s.rng.IntN(len(tcp))]
	k := s.conn(t, s.devs[s.net.nms], d, sv.Port)
	k.open()
	switch sv.Port {
	case 22:
		k.send(false, []byte("SSH-2.0-OpenSSH_7.4\r\n"))
	case 23:
		k.send(false, []byte("\xff\xfb\x01\xff\xfb\x03\r\n"+d.kind.Manufacturer+" "+d.model()+" service console\r\nlogin: "))
	}
	k.close()
}

// ---- DICOM ----

func (s *sim) uid(root string, parts ...uint64) string {
	var b strings.Builder
	b.WriteString(root)
	for _, p := range parts {
		fmt.Fprintf(&b, ".%d", p)
	}
	u := b.String()
	if len(u) > 64 {
		u = u[:64]
		u = strings.TrimRight(u, ".")
	}
	return u
}

func (s *sim) dicomAssoc(d *device, t int64, ctxs []presCtx) (*tcpConn, *device) {
	pacs := s.devs[s.net.pacs]
	ds := d.kind.DICOM
	calling := fmt.Sprintf("%s%d", ds.AE, d.idx%100)
	s.saw(d, t, pDICOM)
	s.saw(pacs, t, pDICOM)
	k := s.conn(t, d, pacs, 104)
	k.open()
	k.send(true, associateRQ(pacs.kind.DICOM.AE, calling, ctxs, 16384, s.uid(ds.Root, uint64(d.verIdx)+1), d.implVersion()))
	acc := make([]presCtx, len(ctxs))
	for i, c := range ctxs {
		acc[i] = presCtx{id: c.id, ts: []string{c.ts[0]}}
	}
	k.send(false, associateAC(pacs.kind.DICOM.AE, calling, acc, 16384, pacs.kind.DICOM.Root, pacs.kind.DICOM.ImplVersion))
	return k, pacs
}

func (d *device) implVersion() string {
	v := d.kind.DICOM.ImplVersion
	if len(v) > 16 {
		v = v[:16]
	}
	return v
}

func (s *sim) dicomRelease(k *tcpConn) {
	k.send(true, releasePDU(0x05))
	k.send(false, releasePDU(0x06))
	k.close()
}

func (s *sim) dicomEcho(d *device, t int64) {
	k, _ := s.dicomAssoc(d, t, []presCtx{{id: 1, abstract: uidVerification, ts: []string{uidImplicitLE}}})
	k.send(true, pdata(1, true, true, dimseCommand(uidVerification, 0x0030, 1, 0, 0x0101, -1, "")))
	k.send(false, pdata(1, true, true, dimseCommand(uidVerification, 0x8030, 0, 1, 0x0101, 0, "")))
	s.dicomRelease(k)
}

// dicomStore sends one or two images of a study, the pixel data split over
// P-DATA-TF PDUs no larger than the PACS's max PDU length.
func (s *sim) dicomStore(d *device, t int64) {
	ds := d.kind.DICOM
	ts := uidExplicitLE
	if !ds.Explicit {
		ts = uidImplicitLE
	}
	ctxs := []presCtx{
		{id: 1, abstract: ds.SOP, ts: []string{ts, uidImplicitLE, uidJPEGLossless}},
		{id: 3, abstract: uidVerification, ts: []string{uidImplicitLE}},
		{id: 5, abstract: uidMPPS, ts: []string{uidExplicitLE, uidImplicitLE}},
		{id: 7, abstract: uidMWLFind, ts: []string{uidExplicitLE, uidImplicitLE}},
	}
	if !ds.Explicit {
		ctxs[0].ts = []string{uidImplicitLE}
	}
	k, _ := s.dicomAssoc(d, t, ctxs)
	n := 1 + s.rng.IntN(4)/3
	study := s.uid(ds.Root, 2, uint64(d.idx), uint64(t/1e9))
	series := study + ".1"
	pnum := int(s.rng.IntN(100000))
	name, pid := canaryPatient(pnum)
	rows := uint16(64 + 32*s.rng.IntN(2))
	for i := range n {
		inst := s.uid(ds.Root, 3, uint64(d.idx), uint64(t/1e9), uint64(i+1))
		im := imageInfo{sopClass: ds.SOP, sopInst: inst, study: study, series: series, modality: ds.Modality,
			manufacturer: d.kind.Manufacturer, institution: "Synthetic General Hospital", station: d.hostname, model: d.model(),
			serial: d.serial, software: d.version(), patientName: name, patientID: pid,
			studyDate: timeDate(k.t), rows: rows, cols: rows}
		pix := make([]byte, int(rows)*int(rows)*2)
		for j := 0; j < len(pix); j += 2 {
			v := uint16((j/2)%int(rows)*16 + s.rng.IntN(32))
			pix[j], pix[j+1] = byte(v), byte(v>>8)&0x0f
		}
		mid := uint16(i + 1)
		k.send(true, pdata(1, true, true, dimseCommand(ds.SOP, 0x0001, mid, 0, 0x0001, -1, inst)))
		data := imageDataset(im, ds.Explicit, pix)
		const maxFrag = 16384 - 6
		var burst []byte
		for off := 0; off < len(data); off += maxFrag {
			end := min(off+maxFrag, len(data))
			burst = append(burst, pdata(1, false, end == len(data), data[off:end])...)
		}
		k.send(true, burst)
		k.send(false, pdata(1, true, true, dimseCommand(ds.SOP, 0x8001, 0, mid, 0x0101, 0, inst)))
	}
	s.dicomRelease(k)
}

func timeDate(ns int64) string { return hl7Time(ns)[:8] }

// ---- HL7 ----

func vitalsFor(d *device, r func(int) int) []string {
	switch canon.DeviceType(d.kind.Type) {
	case canon.InfusionPump:
		return []string{
			fmt.Sprintf("157784^MDC_FLOW_FLUID_PUMP^MDC|%d|265266^MDC_DIM_MILLI_L_PER_HR^MDC", 20+r(180)),
			fmt.Sprintf("157872^MDC_VOL_FLUID_TBI_REMAIN^MDC|%d|263762^MDC_DIM_MILLI_L^MDC", 50+r(900)),
		}
	case canon.Ventilator:
		return []string{
			fmt.Sprintf("151562^MDC_RESP_RATE^MDC|%d|264928^MDC_DIM_RESP_PER_MIN^MDC", 10+r(14)),
			fmt.Sprintf("151817^MDC_PRESS_AWAY_INSP_PEAK^MDC|%d|266048^MDC_DIM_CM_H2O^MDC", 15+r(15)),
		}
	}
	return []string{
		fmt.Sprintf("147842^MDC_ECG_HEART_RATE^MDC|%d|264864^MDC_DIM_BEAT_PER_MIN^MDC", 55+r(50)),
		fmt.Sprintf("150456^MDC_PULS_OXIM_SAT_O2^MDC|%d|262688^MDC_DIM_PERCENT^MDC", 92+r(8)),
		fmt.Sprintf("150021^MDC_PRESS_BLD_NONINV_SYS^MDC|%d|266016^MDC_DIM_MMHG^MDC", 100+r(50)),
	}
}

// mllpSend delivers one message on the device's persistent MLLP connection
// to the interface engine, opening it on first use, and reads the ACK.
func (s *sim) mllpSend(d *device, t int64, msg, ack string) {
	eng := s.devs[s.net.hl7]
	s.saw(d, t, pHL7)
	s.saw(eng, t, pHL7)
	if d.mllp == nil || d.mllp.c.ip != d.ip {
		d.mllp = s.conn(t, d, eng, 2575)
		d.mllp.open()
	} else {
		d.mllp.t = max(d.mllp.t, t)
	}
	d.mllp.send(true, mllp(msg))
	d.mllp.send(false, mllp(ack))
}

func (s *sim) hl7PCD(d *device, t int64) {
	if d.kind.HL7 == nil || d.kind.HL7.MDS == "" {
		return
	}
	subject := d
	var vitals []string
	switch {
	case len(d.behind) > 0 && s.rng.IntN(4) != 0:
		// A central station reports for one of its bedside monitors.
		subject = s.devs[d.behind[s.rng.IntN(len(d.behind))]]
		vitals = vitalsFor(subject, s.rng.IntN)
	case len(d.behind) > 0 && d.kind.Role == "gateway":
		// ... and never for itself: it is not a monitor. The draws its own
		// report took are still taken, so that the rest of the run (and the
		// bundled demo) stays as it was.
		s.saw(d, t, pHL7)
		subject = s.devs[d.behind[s.seq%uint64(len(d.behind))]]
		vitalsFor(d, s.rng.IntN)
		r := rand.New(rand.NewPCG(s.seq, uint64(subject.idx)))
		vitals = vitalsFor(subject, r.IntN)
	default:
		vitals = vitalsFor(subject, s.rng.IntN)
	}
	s.saw(subject, t, pHL7)
	app := strings.ReplaceAll(d.expand(d.kind.HL7.App), " ", "_")
	ctrl := fmt.Sprintf("%s%d", strings.ToUpper(d.kind.Hostname), s.seq)
	loc := s.net.locs[subject.loc].name
	msg := pcd01(pcdReport{sendApp: app, sendEUI: d.mac.eui64(), facility: "SYNTH_HOSP", recvApp: "RHAPSODY",
		control: ctrl, dev: subject, loc: loc, bed: fmt.Sprintf("BED%02d", int(subject.idx)%40+1), now: t,
		patient: int(subject.idx), vitals: vitals})
	s.mllpSend(d, t, msg, hl7ACK("RHAPSODY", "SYNTH_HOSP", app, ctrl, t, "R01"))
}

func (s *sim) hl7Lab(d *device, t int64) {
	if d.kind.HL7 == nil {
		return
	}
	if d.kind.ASTM != nil {
		s.astmLab(d, t)
		return
	}
	app := strings.ReplaceAll(d.expand(d.kind.HL7.App), " ", "_")
	ctrl := fmt.Sprintf("LAB%d", s.seq)
	name, pid := canaryPatient(s.rng.IntN(100000))
	ts := hl7Time(t)
	msg := fmt.Sprintf("MSH|^~\\&|%s|%s|LIS|SYNTH_HOSP|%s||ORU^R01^ORU_R01|%s|P|2.5.1\r"+
		"PID|1||%s^^^SYNTHOSP^MR||%s^^^^L||19700101|U\r"+
		"OBR|1||%s|58410-2^CBC panel - Blood by Automated count^LN|||%s\r"+
		"OBX|1|NM|718-7^Hemoglobin [Mass/volume] in Blood^LN||%d.%d|g/dL|12.0-17.5|N|||F|||%s||||%s^%s^%s\r"+
		"OBX|2|NM|6690-2^Leukocytes [#/volume] in Blood by Automated count^LN||%d.%d|10*3/uL|4.0-11.0|N|||F|||%s||||%s^%s^%s\r",
		app, d.kind.Manufacturer, ts, ctrl, pid, name, ctrl, ts,
		11+s.rng.IntN(6), s.rng.IntN(10), ts, d.model(), d.serial, d.version(),
		4+s.rng.IntN(7), s.rng.IntN(10), ts, d.model(), d.serial, d.version())
	s.mllpSend(d, t, msg, hl7ACK("LIS", "SYNTH_HOSP", app, ctrl, t, "R01"))
}

func (s *sim) hl7ADT(d *device, t int64) {
	ctrl := fmt.Sprintf("ADT%d", s.seq)
	name, pid := canaryPatient(s.rng.IntN(100000))
	loc := s.net.locs[s.rng.IntN(len(s.net.locs))].name
	ts := hl7Time(t)
	msg := fmt.Sprintf("MSH|^~\\&|EPIC|SYNTH_HOSP|RHAPSODY|SYNTH_HOSP|%s||ADT^A01^ADT_A01|%s|P|2.5.1\rEVN|A01|%s\r"+
		"PID|1||%s^^^SYNTHOSP^MR||%s^^^^L||19700101|U\rPV1|1|I|%s^^BED%02d||||SYN9999^CANARY^DOCTOR\r",
		ts, ctrl, ts, pid, name, loc, 1+s.rng.IntN(40))
	s.mllpSend(d, t, msg, hl7ACK("RHAPSODY", "SYNTH_HOSP", "EPIC", ctrl, t, "A01"))
}

// astmLab sends one result message the way most analysers talk to the LIS:
// ASTM E1394 records in E1381 frames (ENQ, numbered frames each
// acknowledged, EOT), the Header naming the sender
// "instrument^software version^serial" as CLSI LIS2-A2 has it. It takes
// the same random draws as the HL7 message it replaces, and the same
// connection slot, so that the rest of a run does not change.
func (s *sim) astmLab(d *device, t int64) {
	lis := s.devs[s.net.hl7]
	s.saw(d, t, pASTM)
	name, pid := canaryPatient(s.rng.IntN(100000))
	ts := time.Unix(0, t).UTC().Format("20060102150405")
	hb := fmt.Sprintf("%d.%d", 11+s.rng.IntN(6), s.rng.IntN(10))
	wbc := fmt.Sprintf("%d.%d", 4+s.rng.IntN(7), s.rng.IntN(10))
	records := []string{
		fmt.Sprintf("H|\\^&|||%s^%s^%s|||||LIS||P|1394-97|%s", d.model(), d.version(), d.serial, ts),
		fmt.Sprintf("P|1||%s||%s||19700101|U", pid, name),
		fmt.Sprintf("O|1|LAB%d||^^^CBC|R||%s||||N||||Blood", s.seq, ts),
		fmt.Sprintf("R|1|^^^718-7^Hemoglobin|%s|g/dL|12.0-17.5|N||F||||%s", hb, ts),
		fmt.Sprintf("R|2|^^^6690-2^Leukocytes|%s|10*3/uL|4.0-11.0|N||F||||%s", wbc, ts),
		"L|1|N",
	}
	if d.mllp == nil || d.mllp.c.ip != d.ip {
		d.mllp = s.conn(t, d, lis, d.kind.ASTM.Port)
		d.mllp.open()
	} else {
		d.mllp.t = max(d.mllp.t, t)
	}
	const enq, ack, eot = 0x05, 0x06, 0x04
	d.mllp.send(true, []byte{enq})
	d.mllp.send(false, []byte{ack})
	for i, r := range records {
		d.mllp.send(true, astmFrame((i+1)%8, r))
		d.mllp.send(false, []byte{ack})
	}
	d.mllp.send(true, []byte{eot})
}

// astmFrame wraps one record in an E1381 frame: STX, the frame number, the
// record and its CR, ETX, the checksum (the sum of the bytes from the frame
// number through ETX, modulo 256, in two upper-case hex digits), CR LF.
func astmFrame(fn int, record string) []byte {
	b := []byte{0x02, byte('0' + fn)}
	b = append(b, record...)
	b = append(b, '\r', 0x03)
	var sum byte
	for _, c := range b[1:] {
		sum += c
	}
	return append(b, fmt.Sprintf("%02X\r\n", sum)...)
}
