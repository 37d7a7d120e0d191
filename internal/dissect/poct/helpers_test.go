package poct

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/dissect"
	"github.com/wardiomt/ward/internal/observe"
)

// The test messages are written here by hand from the structure of CLSI
// POCT1-A device messaging (HEL, DST, OBS, OPL, EOT, ACK documents with
// HDR and topic elements, values in V attributes); see testdata/README.md.

// meta is the device (10.3.0.41:50123) talking to its data manager
// (10.3.0.5:7020) when c2s, the reverse otherwise.
func meta(c2s bool) *dissect.Meta {
	m := &dissect.Meta{
		Time: time.Unix(1700000000, 0), SrcMAC: net.HardwareAddr{0, 0x60, 0x35, 1, 2, 3}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 5},
		SrcIP: netip.MustParseAddr("10.3.0.41"), DstIP: netip.MustParseAddr("10.3.0.5"), SrcPort: 50123, DstPort: 7020, Transport: "tcp",
	}
	if !c2s {
		r := m.Reverse()
		return &r
	}
	return m
}

// canaries are the PHI and per-message values planted in the messages:
// none may reach an observation.
var canaries = []string{
	"CANARY", "19450607", "7.654321", "SAMPLE9931", "Canaryname", // patient, birth date, result, sample, operator
	"CTRLID4242", "CTRLOBS5151", "DMCTRL9001", "2024-01-02T03", // control IDs, creation times
}

const decl = `<?xml version="1.0" encoding="UTF-8"?>` + "\r\n"

func hdr(typ, ctrl string) string {
	return `<HDR><HDR.message_type V="` + typ + `"/><HDR.control_id V="` + ctrl + `"/><HDR.version_id V="POCT1"/>` +
		`<HDR.creation_dttm V="2024-01-02T03:04:05+01:00"/></HDR>`
}

// glucoseHello is a blood glucose meter's Hello, indented as many
// devices send it.
const glucoseHello = decl + `<HEL.R01>
  <HDR>
    <HDR.message_type V="HEL.R01"/>
    <HDR.control_id V="CTRLID4242"/>
    <HDR.version_id V="POCT1"/>
    <HDR.creation_dttm V="2024-01-02T03:04:05+01:00"/>
  </HDR>
  <DEV>
    <DEV.device_id V="0060350A1B2C"/>
    <DEV.vendor_id V="ROCHE"/>
    <DEV.model_id V="Inform II"/>
    <DEV.serial_id V="UU12345678"/>
    <DEV.manufacturer_name V="Roche Diagnostics"/>
    <DEV.hw_version V="2.1"/>
    <DEV.sw_version V="03.02.05"/>
    <DEV.device_name V="ICU-GLU-07"/>
  </DEV>
  <DCP>
    <DCP.application_timeout V="30"/>
  </DCP>
  <DSC>
    <DSC.connection_profile_cd V="SA"/>
    <DSC.topics_supported_cd V="OPL"/>
    <DSC.topics_supported_cd V="DTV"/>
  </DSC>
</HEL.R01>
`

var glucoseFields = map[string]string{
	"poct.message": "HEL.R01", "poct.version": "POCT1", "poct.device_id": "0060350A1B2C", "poct.vendor_id": "ROCHE",
	"poct.model": "Inform II", "poct.serial": "UU12345678", "poct.manufacturer": "Roche Diagnostics",
	"poct.hw_version": "2.1", "poct.sw_version": "03.02.05", "poct.device_name": "ICU-GLU-07",
}

// bloodGasHello is an analyser's Hello on one line, without the XML
// declaration, elements in another order, single quotes, V not the first
// attribute, the alternative spellings DEV.name and DEV.manufacturer, and
// escaped values.
const bloodGasHello = `<HEL.R01><DEV><DEV.name V='Blood gas &amp; lab &#x2013; ICU&#10;'/>` +
	`<DEV.sw_version V="3.5&#46;1"/><DEV.serial_id SN="X" V='I-555 "B"'/><DEV.model_id V="ABL90 FLEX PLUS"/>` +
	`<DEV.manufacturer V="Radiometer Medical ApS"/><DEV.vendor_id V="RADIOMETER"/><DEV.device_id V="ABL-0042"/></DEV>` +
	`<HDR><HDR.version_id V="POCT1-A2"/><HDR.control_id V="CTRLID4242"/><HDR.message_type V="HEL.R01"/></HDR></HEL.R01>`

var bloodGasFields = map[string]string{
	"poct.message": "HEL.R01", "poct.version": "POCT1-A2", "poct.device_id": "ABL-0042", "poct.vendor_id": "RADIOMETER",
	"poct.model": "ABL90 FLEX PLUS", "poct.serial": `I-555 "B"`, "poct.manufacturer": "Radiometer Medical ApS",
	"poct.sw_version": "3.5.1", "poct.device_name": "Blood gas & lab \u2013 ICU",
}

// obs is an observation upload: patient, result, operator, sample, notes
// (in text and CDATA too), and a DEV element that is not read outside a
// Hello.
const obs = decl + `<OBS.R01>` + `<HDR><HDR.message_type V="OBS.R01"/><HDR.control_id V="CTRLOBS5151"/><HDR.version_id V="POCT1"/></HDR>` + `
<SVC><SVC.role_cd V="OBS"/><SVC.observation_dttm V="2024-01-02T03:09:00+01:00"/>
 <PT><PT.patient_id V="CANARYPT0042"/><PT.name V="CANARY^ALICE"/><PT.birth_date V="19450607"/>
  <OBS><OBS.observation_id V="Glu" SN="LN" SV="2345-7"/><OBS.value V="7.654321" U="mmol/L"/></OBS></PT>
 <OPR><OPR.operator_id V="CANARYOPER77"/><OPR.name V="Nurse Canaryname"/></OPR>
 <SPC><SPC.specimen_id V="SAMPLE9931"/></SPC>
 <NTE><NTE.text>CANARY fasting <![CDATA[CANARY <cdata> & more]]></NTE.text></NTE>
 <!-- CANARY comment -->
 <DEV.model_id V="CANARYMODEL"/>
</SVC></OBS.R01>
`

// dst is a device status message (counts).
const dst = decl + `<DST.R01>` + `<HDR><HDR.message_type V="DST.R01"/><HDR.control_id V="CTRLOBS5151"/><HDR.version_id V="POCT1"/></HDR>` +
	`<DST><DST.status_dttm V="2024-01-02T03:05:00+01:00"/><DST.new_observations_qty V="12"/><DST.new_events_qty V="0"/></DST></DST.R01>`

// opl is the data manager's operator list.
const opl = decl + `<OPL.R01>` + `<HDR><HDR.message_type V="OPL.R01"/><HDR.control_id V="DMCTRL9001"/><HDR.version_id V="POCT1"/></HDR>` +
	`<OPR><OPR.operator_id V="CANARYOPER77"/><OPR.name V="Nurse Canaryname"/><OPR.password V="CANARYPW"/></OPR></OPL.R01>`

func ack(ctrl string) string {
	return decl + `<ACK.R01>` + hdr("ACK.R01", "DMCTRL9001") + `<ACK><ACK.type_cd V="AA"/><ACK.ack_control_id V="` + ctrl + `"/></ACK></ACK.R01>`
}

const eot = decl + `<EOT.R01>` + `<HDR><HDR.message_type V="EOT.R01"/><HDR.control_id V="CTRLOBS5151"/><HDR.version_id V="POCT1"/></HDR><EOT><EOT.topic_cd V="OBS"/></EOT></EOT.R01>`

// conversation is a device's upload after its Hello and the data
// manager's answers.
func conversation() (device, dm []byte) {
	return []byte(glucoseHello + dst + obs + eot), []byte(ack("CTRLID4242") + opl + ack("CTRLOBS5151") + ack("CTRLOBS5151"))
}

func cat(parts ...string) []byte { return []byte(strings.Join(parts, "")) }

type delivery struct {
	c2s bool
	gap bool
	b   []byte
}

func c2s(b []byte) delivery { return delivery{c2s: true, b: b} }
func s2c(b []byte) delivery { return delivery{c2s: false, b: b} }

func collect(t testing.TB, d *Dissector, deliveries ...delivery) []observe.Observation {
	t.Helper()
	var c observe.Collector
	st := d.NewStream()
	ended := false
	for _, dl := range deliveries {
		if dl.gap {
			st.Gap(dl.c2s)
			continue
		}
		if st.Data(meta(dl.c2s), dl.c2s, dl.b, &c) {
			ended = true
			break
		}
	}
	if !ended {
		st.(dissect.Ender).End(meta(true), &c)
	}
	if d.Dropped != 0 {
		t.Fatalf("guard dropped %d fields", d.Dropped)
	}
	return c.Obs
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
			continue
		}
		out[kv[i]] = kv[i+1]
	}
	return out
}
