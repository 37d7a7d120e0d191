package fingerprint

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/observe"
)

var (
	engOnce sync.Once
	engDef  *Engine
	engErr  error
)

// defaultEngine is the embedded rule set without any p0f import, so tests
// don't depend on the host's /etc/p0f.
func defaultEngine(t testing.TB) *Engine {
	t.Helper()
	engOnce.Do(func() { engDef, engErr = New(Options{P0FPath: "-"}) })
	if engErr != nil {
		t.Fatal(engErr)
	}
	return engDef
}

func obs(proto string, kv ...string) *observe.Observation {
	o := &observe.Observation{Protocol: proto}
	for i := 0; i+1 < len(kv); i += 2 {
		o.Fields = append(o.Fields, observe.Field{Key: kv[i], Value: kv[i+1]})
	}
	return o
}

// want is the compact form of an expected claim: "attribute=value".
func summarize(cs []Claim) []string {
	var out []string
	for _, c := range cs {
		out = append(out, string(c.Attribute)+"="+c.Value)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

type familyCase struct {
	name   string
	o      *observe.Observation
	want   []string // every one must be claimed
	reject []string // none may be claimed
}

func runFamily(t *testing.T, cases []familyCase) {
	t.Helper()
	e := defaultEngine(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := summarize(e.Claims(tc.o, nil))
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing claim %q; got %v", w, got)
				}
			}
			for _, r := range tc.reject {
				for _, g := range got {
					if g == r || (strings.HasSuffix(r, "=*") && strings.HasPrefix(g, strings.TrimSuffix(r, "*"))) {
						t.Errorf("unexpected claim %q; got %v", g, got)
					}
				}
			}
		})
	}
}

func TestDICOMRules(t *testing.T) {
	runFamily(t, []familyCase{
		{
			name: "dcmtk association claims the toolkit only",
			o: obs("dicom", "dicom.implementation_class_uid", "1.2.276.0.7230010.3.0.3.6.7",
				"dicom.implementation_version_name", "OFFIS_DCMTK_367", "dicom.calling_ae", "CT01SYN"),
			want:   []string{"software=dcmtk", "software=dcmtk 3.6.7"},
			reject: []string{"manufacturer=*", "type=*", "model=*"},
		},
		{
			name:   "a product keeping dcmtk's class UID under its own version name",
			o:      obs("dicom", "dicom.implementation_class_uid", "1.2.276.0.7230010.3.0.3.6.4", "dicom.implementation_version_name", "ACME_VIEW_2_1"),
			want:   []string{"software=dcmtk 3.6.4"},
			reject: []string{"manufacturer=*"},
		},
		{
			name: "gdcm and pynetdicom version names give the release",
			o:    obs("dicom", "dicom.implementation_class_uid", "1.2.826.0.1.3680043.2.1143.107.104.103.115.3.0.21", "dicom.implementation_version_name", "GDCM 3.0.21"),
			want: []string{"software=GDCM", "software=GDCM 3.0.21"}, reject: []string{"manufacturer=*"},
		},
		{
			name: "pynetdicom version name",
			o:    obs("dicom", "dicom.implementation_class_uid", "1.2.826.0.1.3680043.9.3811.2.10.1", "dicom.implementation_version_name", "PYNETDICOM_2101"),
			want: []string{"software=pynetdicom 2.10.1"}, reject: []string{"manufacturer=*"},
		},
		{
			name:   "GE implementation root",
			o:      obs("dicom", "dicom.implementation_class_uid", "1.2.840.113619.6.374"),
			want:   []string{"manufacturer=GE HealthCare"},
			reject: []string{"software=*"},
		},
		{
			name: "Siemens root and Philips roots",
			o:    obs("dicom", "dicom.implementation_class_uid", "1.3.12.2.1107.5.2", "dicom.implementation_version_name", "MR_2004V_VB11A"),
			want: []string{"manufacturer=Siemens Healthineers"},
		},
		{
			name: "Philips ultrasound root",
			o:    obs("dicom", "dicom.implementation_class_uid", "1.2.840.113663.1500.1"),
			want: []string{"manufacturer=Philips"},
		},
		{
			name: "Canon and Fujifilm roots",
			o:    obs("dicom", "dicom.implementation_class_uid", "1.2.392.200036.9116.6.18"),
			want: []string{"manufacturer=Canon Medical Systems"},
		},
		{
			name:   "root must be followed by a dot (no 1.2.840.1136190 false match)",
			o:      obs("dicom", "dicom.implementation_class_uid", "1.2.840.1136190195"),
			reject: []string{"manufacturer=*"},
		},
		{
			name: "GE CT dataset",
			o: obs("dicom", "dicom.manufacturer", "GE MEDICAL SYSTEMS", "dicom.model", "LightSpeed VCT",
				"dicom.serial", "SYN-CT-000123", "dicom.software_versions", "LightSpeedverrel", "dicom.modality", "CT",
				"dicom.station_name", "CT01SYN"),
			want: []string{"manufacturer=GE HealthCare", "model=LightSpeed VCT", "serial=SYN-CT-000123",
				"version=LightSpeedverrel", "type=ct", "hostname=CT01SYN"},
		},
		{
			name: "multi-valued software versions keep the first value",
			o:    obs("dicom", "dicom.software_versions", "syngo MR E11\\AXM_2"),
			want: []string{"version=syngo MR E11"},
		},
		{
			name: "Toshiba spelling and MR modality",
			o:    obs("dicom", "dicom.manufacturer", "TOSHIBA_MEC", "dicom.model", "MRT50H1", "dicom.modality", "MR"),
			want: []string{"manufacturer=Canon Medical Systems", "type=mr"},
		},
		{
			name:   "placeholder values claim nothing",
			o:      obs("dicom", "dicom.manufacturer", "(no value available)", "dicom.serial", "000000000"),
			reject: []string{"manufacturer=*", "serial=*"},
		},
		{
			name: "workstation model beats the modality of the objects it sends",
			o:    obs("dicom", "dicom.model", "Advantage Workstation", "dicom.modality", "CT"),
			want: []string{"type=imaging_workstation"},
		},
		{
			name: "US modality and Philips model family",
			o:    obs("dicom", "dicom.modality", "US", "dicom.model", "EPIQ 7G"),
			want: []string{"type=ultrasound", "manufacturer=Philips", "model=EPIQ 7G"},
		},
		{
			name: "mammography is x-ray",
			o:    obs("dicom", "dicom.modality", "MG"),
			want: []string{"type=xray"},
		},
		{
			name:   "unknown modality code claims no type",
			o:      obs("dicom", "dicom.modality", "ZZ"),
			reject: []string{"type=*"},
		},
	})
}

func TestHL7Rules(t *testing.T) {
	runFamily(t, []familyCase{
		{
			name: "PCD-01 infusion pump message",
			o: obs("hl7", "hl7.message_type", "ORU^R01", "hl7.sending_application", "ALARIS_PC_8015^00B0940000C0FFEE^EUI-64",
				"hl7.observation_codes", "69985^MDC_DEV_PUMP_INFUS_MDS^MDC,531969^MDC_ATTR_SYS_ID^MDC,157784^MDC_FLOW_FLUID_PUMP^MDC"),
			want:   []string{"type=infusion_pump", "manufacturer=BD", "model=8015"},
			reject: []string{"type=patient_monitor"},
		},
		{
			name: "PCD-01 device row",
			o: obs("hl7", "hl7.device_model", "8015", "hl7.device_serial", "SYN-IP-12345", "hl7.device_software", "12.1.2",
				"hl7.device_type", "69985^MDC_DEV_PUMP_INFUS_MDS^MDC", "hl7.equipment_id", "00B0940000C0FFEE^BD^00B0940000C0FFEE^EUI-64"),
			want: []string{"type=infusion_pump", "model=8015", "serial=SYN-IP-12345", "version=12.1.2", "manufacturer=BD"},
		},
		{
			name: "patient monitor",
			o: obs("hl7", "hl7.sending_application", "IntelliVue_MX800^0009FB00001A2B3C^EUI-64",
				"hl7.observation_codes", "69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC,147842^MDC_ECG_HEART_RATE^MDC"),
			want:   []string{"type=patient_monitor", "manufacturer=Philips", "model=MX800"},
			reject: []string{"type=infusion_pump"},
		},
		{
			name: "pulse oximeter device row",
			o:    obs("hl7", "hl7.device_type", "MDC_DEV_ANALY_SAT_O2_MDS"),
			want: []string{"type=patient_monitor"},
		},
		{
			name: "ventilator",
			o:    obs("hl7", "hl7.device_type", "70030^MDC_DEV_SYS_PT_VENT_MDS^MDC", "hl7.device_manufacturer", "Draeger Medical"),
			want: []string{"type=ventilator", "manufacturer=Dräger"},
		},
		{
			name:   "equipment identifier that is not an IHE PCD EUI-64 names no vendor",
			o:      obs("hl7", "hl7.equipment_id", "ADVIA Centaur XPT^AT04707^1.24"),
			reject: []string{"manufacturer=*"},
		},
		{
			name: "upper-case sending application still maps the vendor",
			o:    obs("hl7", "hl7.sending_application", "SYSMEX_XN"),
			want: []string{"type=lab_analyzer", "manufacturer=Sysmex"},
		},
		{
			name: "EHR sender is a server",
			o:    obs("hl7", "hl7.sending_application", "EPIC^SYNTH^L", "hl7.message_type", "ADT^A01"),
			want: []string{"type=server", "manufacturer=Epic"},
		},
	})
}

func TestASTMRules(t *testing.T) {
	runFamily(t, []familyCase{
		{
			name: "Sysmex coagulation analyser",
			o: obs("astm", "astm.sender", "CS-2500^01-70^21768^^^Rezus^BV981798", "astm.sender_name", "CS-2500",
				"astm.sender_version", "01-70", "astm.sender_serial", "21768", "astm.receiver", "LIS", "astm.role", "instrument"),
			want: []string{"type=lab_analyzer", "manufacturer=Sysmex", "model=CS-2500", "version=01-70", "serial=21768"},
		},
		{
			name: "Ortho OCD^model^version",
			o: obs("astm", "astm.sender", "OCD^VISION^5.13.1", "astm.sender_name", "OCD", "astm.sender_version", "VISION",
				"astm.sender_serial", "5.13.1", "astm.role", "instrument"),
			want:   []string{"type=lab_analyzer", "manufacturer=Ortho Clinical Diagnostics", "model=VISION", "version=5.13.1"},
			reject: []string{"model=OCD", "serial=*", "version=VISION"},
		},
		{
			name: "Thermo Fisher data manager",
			o: obs("astm", "astm.sender", "ImmunoCAP Data Manager^1.00^1.00", "astm.sender_name", "ImmunoCAP Data Manager",
				"astm.sender_version", "1.00", "astm.sender_serial", "1.00", "astm.role", "instrument"),
			want: []string{"type=lab_analyzer", "manufacturer=Thermo Fisher Scientific", "model=ImmunoCAP Data Manager", "version=1.00"},
		},
		{
			name: "lower-case cobas, no components",
			o:    obs("astm", "astm.sender", "cobas 8000", "astm.sender_name", "cobas 8000", "astm.role", "instrument"),
			want: []string{"type=lab_analyzer", "manufacturer=Roche", "model=cobas 8000"},
		},
		{name: "Beckman AU", o: obs("astm", "astm.sender_name", "AU5800", "astm.role", "instrument"), want: []string{"manufacturer=Beckman Coulter", "model=AU5800"}},
		{name: "Abbott", o: obs("astm", "astm.sender_name", "ARCHITECT i2000SR"), want: []string{"manufacturer=Abbott", "type=lab_analyzer"}},
		{name: "Siemens", o: obs("astm", "astm.sender_name", "Atellica IM"), want: []string{"manufacturer=Siemens Healthineers"}},
		{name: "bioMerieux", o: obs("astm", "astm.sender_name", "VIDAS 3"), want: []string{"manufacturer=bioMérieux"}},
		{name: "DiaSorin", o: obs("astm", "astm.sender_name", "LIAISON XL"), want: []string{"manufacturer=DiaSorin"}},
		{name: "Mindray", o: obs("astm", "astm.sender_name", "BC-6800"), want: []string{"manufacturer=Mindray"}},
		{name: "Bio-Rad", o: obs("astm", "astm.sender_name", "D-10"), want: []string{"manufacturer=Bio-Rad"}},
		{name: "Radiometer", o: obs("astm", "astm.sender_name", "ABL800"), want: []string{"manufacturer=Radiometer"}},
		{name: "Werfen", o: obs("astm", "astm.sender_name", "GEM Premier 5000"), want: []string{"manufacturer=Werfen"}},
		{name: "Sysmex haematology", o: obs("astm", "astm.sender_name", "xn-1000"), want: []string{"manufacturer=Sysmex"}},
		{
			name:   "the LIS's own header claims nothing",
			o:      obs("astm", "astm.sender", "LIS", "astm.sender_name", "LIS", "astm.receiver", "CS-2500", "astm.role", "host"),
			reject: []string{"type=*", "model=*", "manufacturer=*", "version=*", "serial=*"},
		},
		{
			name:   "an unknown instrument is a lab analyser of no known maker",
			o:      obs("astm", "astm.sender", "HSX00^V1.0", "astm.sender_name", "HSX00", "astm.sender_version", "V1.0", "astm.role", "instrument"),
			want:   []string{"type=lab_analyzer", "model=HSX00", "version=V1.0"},
			reject: []string{"manufacturer=*"},
		},
		{name: "not a Sysmex: CS without a dash and digit", o: obs("astm", "astm.sender_name", "CSLAB"), reject: []string{"manufacturer=*"}},
	})
}

func TestPOCTRules(t *testing.T) {
	runFamily(t, []familyCase{
		{
			name: "Roche glucose meter",
			o: obs("poct", "poct.message", "HEL.R01", "poct.version", "POCT1", "poct.device_id", "0060350A1B2C", "poct.vendor_id", "ROCHE",
				"poct.model", "Inform II", "poct.serial", "UU12345678", "poct.manufacturer", "Roche Diagnostics", "poct.hw_version", "2.1",
				"poct.sw_version", "03.02.05", "poct.device_name", "ICU-GLU-07"),
			want: []string{"type=lab_analyzer", "manufacturer=Roche", "model=Inform II", "version=03.02.05", "serial=UU12345678", "hostname=ICU-GLU-07"},
		},
		{
			name: "blood gas analyser, manufacturer spelled out",
			o:    obs("poct", "poct.message", "HEL.R01", "poct.manufacturer", "Radiometer Medical ApS", "poct.model", "ABL90 FLEX PLUS", "poct.sw_version", "3.5.1"),
			want: []string{"type=lab_analyzer", "manufacturer=Radiometer", "model=ABL90 FLEX PLUS", "version=3.5.1"},
		},
		{name: "vendor id only", o: obs("poct", "poct.message", "HEL.R01", "poct.vendor_id", "nova", "poct.model", "XYZ"), want: []string{"manufacturer=Nova Biomedical", "model=XYZ"}},
		{name: "vendor id ISTAT", o: obs("poct", "poct.message", "HEL.R01", "poct.vendor_id", "ISTAT"), want: []string{"manufacturer=Abbott"}},
		{name: "i-STAT by model", o: obs("poct", "poct.message", "HEL.R01", "poct.model", "i-STAT 1"), want: []string{"manufacturer=Abbott", "type=lab_analyzer"}},
		{name: "StatStrip by model", o: obs("poct", "poct.message", "HEL.R01", "poct.model", "StatStrip Glucose"), want: []string{"manufacturer=Nova Biomedical"}},
		{name: "DCA Vantage by model", o: obs("poct", "poct.message", "HEL.R01", "poct.model", "DCA Vantage"), want: []string{"manufacturer=Siemens Healthineers"}},
		{name: "Afinion by model", o: obs("poct", "poct.message", "HEL.R01", "poct.model", "Afinion 2"), want: []string{"manufacturer=Abbott"}},
		{name: "HemoCue by model", o: obs("poct", "poct.message", "HEL.R01", "poct.model", "HemoCue Hb 801"), want: []string{"manufacturer=HemoCue"}},
		{name: "HemoCue AB spelled out", o: obs("poct", "poct.message", "HEL.R01", "poct.manufacturer", "HemoCue AB"), want: []string{"manufacturer=HemoCue"}},
		{
			name:   "the manufacturer named wins over the vendor id and model family",
			o:      obs("poct", "poct.message", "HEL.R01", "poct.manufacturer", "Acme POC", "poct.vendor_id", "ROCHE", "poct.model", "Inform II"),
			want:   []string{"manufacturer=Acme POC"},
			reject: []string{"manufacturer=Roche"},
		},
		{
			name:   "an unknown device is a lab analyser of no known maker",
			o:      obs("poct", "poct.message", "HEL.R01", "poct.model", "QX-9", "poct.vendor_id", "QX"),
			want:   []string{"type=lab_analyzer", "model=QX-9"},
			reject: []string{"manufacturer=*"},
		},
		{name: "placeholder serial", o: obs("poct", "poct.message", "HEL.R01", "poct.serial", "000000"), reject: []string{"serial=*"}},
	})
}

func TestDHCPRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "MSFT 5.0", o: obs("dhcp", "dhcp.vendor_class", "MSFT 5.0"), want: []string{"os=Windows"}},
		{name: "DHCPv6 311", o: obs("dhcpv6", "dhcpv6.vendor_class", "311:MSFT 5.0"), want: []string{"os=Windows"}},
		{name: "dhcpcd", o: obs("dhcp", "dhcp.vendor_class", "dhcpcd-6.8.2:Linux-4.4.13:armv7l:Freescale i.MX6"), want: []string{"os=Linux 4.4"}},
		{name: "android", o: obs("dhcp", "dhcp.vendor_class", "android-dhcp-9"), want: []string{"os=Android 9"}},
		{name: "udhcp", o: obs("dhcp", "dhcp.vendor_class", "udhcp 1.22.1"), want: []string{"os=Linux"}},
		{
			name: "cisco phone",
			o:    obs("dhcp", "dhcp.vendor_class", "Cisco Systems, Inc. IP Phone CP-8845"),
			want: []string{"manufacturer=Cisco", "type=ip_phone", "model=CP-8845"},
		},
		{
			name: "windows 10 option 55 and default host name",
			o:    obs("dhcp", "dhcp.param_request_list", "1,3,6,15,31,33,43,44,46,47,119,121,249,252", "dhcp.hostname", "DESKTOP-4F3K2LQ"),
			want: []string{"os=Windows", "hostname=DESKTOP-4F3K2LQ", "type=workstation"},
		},
		{
			// Replies are routed to the client by the inventory; nothing in them is about the server.
			name: "server reply claims nothing", o: obs("dhcp", "dhcp.op", "reply", "dhcp.message_type", "ack", "dhcp.client_mac", "00:09:fb:11:22:33"),
			reject: []string{"manufacturer=*", "type=*"},
		},
		{name: "iOS option 55", o: obs("dhcp", "dhcp.param_request_list", "1,121,3,6,15,119,252"), want: []string{"os=iOS", "manufacturer=Apple"}},
		{name: "HP printer name", o: obs("dhcp", "dhcp.hostname", "NPI8F2A1C"), want: []string{"manufacturer=HP", "type=printer"}},
		{name: "weird host name not claimed", o: obs("dhcp", "dhcp.hostname", "  "), reject: []string{"hostname=*"}},
	})
}

func TestHTTPAndTLSRules(t *testing.T) {
	runFamily(t, []familyCase{
		{
			name: "Windows 7 browser",
			o:    obs("http", "http.user_agent", "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"),
			want: []string{"os=Windows 7"},
		},
		{
			name: "Android app with model",
			o:    obs("http", "http.user_agent", "Dalvik/2.1.0 (Linux; U; Android 9; SM-G960F Build/PPR1.180610.011)"),
			want: []string{"os=Android 9", "model=SM-G960F"},
		},
		{
			name: "desktop browser on Windows 10",
			o:    obs("http", "http.user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"),
			want: []string{"os=Windows 10", "type=workstation"},
		},
		{name: "Windows system agent is not a browser", o: obs("http", "http.user_agent", "Microsoft-CryptoAPI/10.0"), want: []string{"os=Windows"}, reject: []string{"type=*"}},
		{name: "iOS", o: obs("http", "http.user_agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 16_5 like Mac OS X)"), want: []string{"os=iOS 16.5"}},
		{
			name: "IIS",
			o:    obs("http", "http.server", "Microsoft-IIS/8.5"),
			want: []string{"os=Windows Server 2012 R2", "software=IIS 8.5", "type=server"},
		},
		{
			name: "HP printer",
			o:    obs("http", "http.server", "HP HTTP Server; HP Color LaserJet MFP M477fdw - CF379A; Serial Number: CNB8K1234X; Built:Thu Mar 15, 2018"),
			want: []string{"manufacturer=HP", "type=printer", "model=Color LaserJet MFP M477fdw", "serial=CNB8K1234X"},
		},
		{name: "embedded server", o: obs("http", "http.server", "GoAhead-Webs"), want: []string{"software=GoAhead-Webs"}},
		{
			name: "device certificate organisation",
			o:    obs("tls", "tls.cert_subject", "CN=mx800-0042,O=Philips Medical Systems,C=NL", "tls.cert_role", "server"),
			want: []string{"manufacturer=Philips"},
		},
		{
			name:   "unrelated certificate claims nothing",
			o:      obs("tls", "tls.cert_subject", "CN=www.example.org,O=Example Hospital", "tls.cert_role", "server"),
			reject: []string{"manufacturer=*"},
		},
		{name: "vendor cloud SNI", o: obs("tls", "tls.sni", "carelink.minimed.eu"), want: []string{"manufacturer=Medtronic"}},
		{name: "SNI lookalike is not the vendor", o: obs("tls", "tls.sni", "notdexcom.com.evil.io"), reject: []string{"manufacturer=*"}},
	})
}

func TestCiscoPhoneLoadName(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "cdp load name kept whole", o: obs("cdp", "cdp.software_version", "sip88xx.14-1-1MN-366", "cdp.platform", "Cisco IP Phone 8845"),
			want: []string{"version=sip88xx.14-1-1MN-366"}, reject: []string{"version=14-1-1MN-366"}},
		{name: "same as lldp-med says", o: obs("lldp", "lldp.med_software", "sip88xx.14-1-1MN-366"), want: []string{"version=sip88xx.14-1-1MN-366"}},
	})
}

func TestHL7LabAnalyzerRules(t *testing.T) {
	lab := func(app string) *observe.Observation {
		return obs("hl7", "hl7.sending_application", app, "hl7.message_type", "ORU^R01")
	}
	runFamily(t, []familyCase{
		{name: "bio-rad in msh-3", o: lab("BIORAD_D100"), want: []string{"manufacturer=Bio-Rad", "type=lab_analyzer"}},
		{name: "bio-rad instrument", o: lab("D-10"), want: []string{"manufacturer=Bio-Rad", "type=lab_analyzer"}},
		{name: "variant ii", o: lab("VARIANT II TURBO"), want: []string{"manufacturer=Bio-Rad"}},
		{name: "liaison", o: lab("LIAISON XL"), want: []string{"manufacturer=DiaSorin", "type=lab_analyzer"}},
		{name: "vitek", o: lab("VITEK 2"), want: []string{"manufacturer=bioMérieux", "type=lab_analyzer"}},
		{name: "blood gas", o: lab("ABL90 FLEX"), want: []string{"manufacturer=Radiometer", "type=lab_analyzer"}},
		{name: "gem premier", o: lab("GEM Premier 5000"), want: []string{"manufacturer=Werfen"}},
		{name: "mindray", o: lab("BC-6800"), want: []string{"manufacturer=Mindray", "type=lab_analyzer"}},
		{name: "an EHR is not an analyser", o: lab("EPIC"), reject: []string{"type=lab_analyzer"}},
		{name: "a word that starts like one is not", o: lab("DIMENSIONS_BILLING"), reject: []string{"type=lab_analyzer", "manufacturer=*"}},
		{name: "nor does a longer model number", o: lab("D-1000X"), reject: []string{"manufacturer=Bio-Rad"}},
	})
}

func TestSNMPLLDPCDPRules(t *testing.T) {
	runFamily(t, []familyCase{
		{
			name: "cisco ios sysDescr and sysObjectID",
			o: obs("snmp", "snmp.sys_descr", "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(4)E10, RELEASE SOFTWARE (fc2)",
				"snmp.sys_object_id", "1.3.6.1.4.1.9.1.1208", "snmp.sys_name", "sw-icu-3"),
			want: []string{"manufacturer=Cisco", "os=Cisco IOS", "version=15.2(4)E10", "model=C2960X", "hostname=sw-icu-3"},
		},
		{
			name: "windows sysDescr",
			o:    obs("snmp", "snmp.sys_descr", "Hardware: Intel64 Family 6 Model 85 Stepping 4 AT/AT COMPATIBLE - Software: Windows Version 6.3 (Build 9600 Multiprocessor Free)"),
			want: []string{"os=Windows 8.1 / Server 2012 R2", "version=9600"},
		},
		{
			name: "jetdirect",
			o:    obs("snmp", "snmp.sys_descr", "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI24090012", "snmp.sys_object_id", ".1.3.6.1.4.1.11.2.3.9.1"),
			want: []string{"manufacturer=HP", "type=printer", "version=JSI24090012"},
		},
		{name: "linux net-snmp", o: obs("snmp", "snmp.sys_descr", "Linux pacs01 5.10.0-23-amd64 #1 SMP Debian 5.10.179-1 x86_64"), want: []string{"os=Linux 5.10"}},
		{name: "vxworks", o: obs("snmp", "snmp.sys_descr", "VxWorks SNMPv1/v2c Agent"), want: []string{"os=VxWorks"}},
		// SNMPv3: the engine ID names the agent's maker and MAC, in clear even under authPriv.
		{
			name: "v3 engine of the sender",
			o: obs("snmp", "snmp.version", "v3", "snmp.engine_id", "800000090300005e0053aa", "snmp.engine_enterprise", "9",
				"snmp.engine_format", "mac", "snmp.engine_mac", "00:09:fb:12:34:56", "snmp.engine_owner", "sender", "snmp.v3_security", "authPriv"),
			want: []string{"manufacturer=Cisco", "manufacturer=Philips"}, // the MAC's OUI is Philips Medical Systems'
		},
		{
			name: "v3 engine of the receiver (a request) says nothing of the sender",
			o: obs("snmp", "snmp.version", "v3", "snmp.engine_enterprise", "9", "snmp.engine_mac", "00:09:fb:12:34:56",
				"snmp.engine_owner", "receiver"),
			reject: []string{"manufacturer=*"},
		},
		{
			name:   "v3 engine of net-snmp names no maker",
			o:      obs("snmp", "snmp.version", "v3", "snmp.engine_enterprise", "8072", "snmp.engine_owner", "sender"),
			reject: []string{"manufacturer=*"},
		},
		{
			name: "aruba switch sysDescr and HPE switch sysObjectID",
			o: obs("snmp", "snmp.sys_descr", "Aruba JL256A 2930F-48G-PoE+-4SFP+ Switch, revision WC.16.10.0012, ROM WC.16.01.0008 (/ws/swbuildm/rel_ukiah_qaoff/code/build/bom(swbuildm_rel_ukiah_qaoff_rel_ukiah))",
				"snmp.sys_object_id", "1.3.6.1.4.1.11.2.3.7.11.181.19"),
			want:   []string{"manufacturer=Hewlett Packard Enterprise", "model=2930F-48G-PoE+-4SFP+", "version=WC.16.10.0012", "type=switch"},
			reject: []string{"manufacturer=HP"},
		},
		{
			name: "procurve sysDescr",
			o:    obs("snmp", "snmp.sys_descr", "ProCurve J9280A Switch 2510G-48, revision Y.11.16, ROM N.10.01 (/sw/code/build/bass(ppne_swt))"),
			want: []string{"model=2510G-48", "version=Y.11.16"},
		},
		{name: "lexmark sysDescr", o: obs("snmp", "snmp.sys_descr", "Lexmark CX735adse version CXTMM.081.233 kernel 5.4.207-yocto-standard All-N-1"),
			want: []string{"manufacturer=Lexmark", "model=CX735adse", "version=CXTMM.081.233", "type=printer"}},
		{name: "lexmark sysDescr without firmware", o: obs("snmp", "snmp.sys_descr", "Lexmark MS610de"), want: []string{"model=MS610de"}, reject: []string{"version=*"}},
		{name: "zebra printer sysDescr", o: obs("snmp", "snmp.sys_descr", "ZTC ZT410-203dpi ZPL"),
			want: []string{"manufacturer=Zebra Technologies", "model=ZT410", "type=printer"}, reject: []string{"version=*"}},
		{name: "zebranet print server sysDescr", o: obs("snmp", "snmp.sys_descr", "ZebraNet Wired PS 7.0 ZD621 V75.20.21Z"),
			want: []string{"manufacturer=Zebra Technologies", "model=ZD621", "version=V75.20.21Z"}},
		{name: "ricoh sysDescr", o: obs("snmp", "snmp.sys_descr", "RICOH MP C3004 1.12 / RICOH Network Printer C model"), want: []string{"model=MP C3004", "manufacturer=Ricoh", "type=printer"}},
		{name: "juniper enterprise", o: obs("snmp", "snmp.sys_object_id", "1.3.6.1.4.1.2636.1.1.1.2.29"), want: []string{"manufacturer=Juniper Networks"}},
		{name: "unknown enterprise", o: obs("snmp", "snmp.sys_object_id", "1.3.6.1.4.1.99999.1"), reject: []string{"manufacturer=*"}},
		{
			name: "LLDP-MED inventory",
			o: obs("lldp", "lldp.med_manufacturer", "Mindray", "lldp.med_model", "BeneVision N17", "lldp.med_serial", "DX-12345",
				"lldp.med_software", "02.10.00", "lldp.system_name", "bed-12-monitor"),
			want: []string{"manufacturer=Mindray", "model=BeneVision N17", "serial=DX-12345", "version=02.10.00", "hostname=bed-12-monitor"},
		},
		{
			name: "LLDP switch description",
			o:    obs("lldp", "lldp.system_description", "Juniper Networks, Inc. ex2200-24t-4g Ethernet Switch, kernel JUNOS 12.3R6.6, Build date: 2014-03-13", "lldp.capabilities", "bridge,router"),
			want: []string{"manufacturer=Juniper Networks", "model=ex2200-24t-4g", "version=12.3R6.6", "type=switch"},
		},
		{
			name: "CDP catalyst",
			o:    obs("cdp", "cdp.platform", "cisco WS-C2960X-48FPD-L", "cdp.software_version", "Cisco IOS Software, C2960X Software (C2960X-UNIVERSALK9-M), Version 15.2(2)E6, RELEASE SOFTWARE (fc1)", "cdp.device_id", "sw-core-1"),
			want: []string{"manufacturer=Cisco", "model=WS-C2960X-48FPD-L", "type=switch", "version=15.2(2)E6", "hostname=sw-core-1"},
		},
		{
			name: "CDP phone",
			o:    obs("cdp", "cdp.platform", "Cisco IP Phone 8845", "cdp.device_id", "SEP00EBD5A1B2C3"),
			want: []string{"manufacturer=Cisco", "type=ip_phone", "model=8845"},
		},
	})
}

func TestDiscoveryAndSMBRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "ssdp windows", o: obs("ssdp", "ssdp.server", "Microsoft-Windows/10.0 UPnP/1.0 UPnP-Device-Host/1.0"), want: []string{"os=Windows 10"}},
		{name: "ssdp linux", o: obs("ssdp", "ssdp.server", "Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0"), want: []string{"os=Linux 3.14", "manufacturer=Signify"}},
		{name: "mdns apple model", o: obs("mdns", "mdns.model", "MacBookPro16,1"), want: []string{"manufacturer=Apple", "model=MacBookPro16,1", "os=macOS"}},
		{name: "mdns printer txt", o: obs("mdns", "mdns.service", "_ipp._tcp.local", "mdns.txt", "txtvers=1; ty=Brother HL-L2350DW series; usb_MFG=Brother"), want: []string{"model=HL-L2350DW series", "manufacturer=Brother", "type=printer"}},
		{
			name:   "ty= outside a printing service is not a printer",
			o:      obs("mdns", "mdns.service", "_workstation._tcp.local", "mdns.txt", "txtvers=1; ty=Windows; model=OptiPlex 7010", "mdns.manufacturer", "Dell Inc."),
			want:   []string{"manufacturer=Dell"},
			reject: []string{"type=printer", "model=Windows", "os=Linux"},
		},
		{name: "mdns host", o: obs("mdns", "mdns.hostname", "radiology-ws3.local"), want: []string{"hostname=radiology-ws3"}},
		{name: "dns query of a vendor cloud", o: obs("dns", "dns.query", "us-kardia-production.alivecor.com", "dns.qtype", "A"), want: []string{"manufacturer=AliveCor"}},
		{name: "dns query of windows update", o: obs("dns", "dns.query", "ctldl.windowsupdate.com"), want: []string{"os=Windows"}},
		{
			// A response comes from the resolver: its clients' look-ups say nothing about it.
			name:   "dns response names the querier's cloud, not the resolver's",
			o:      obs("dns", "dns.query", "us-kardia-production.alivecor.com", "dns.response", "1", "dns.rcode", "NOERROR"),
			reject: []string{"manufacturer=*"},
		},
		{name: "dns response windows", o: obs("dns", "dns.query", "www.msftconnecttest.com", "dns.response", "1"), reject: []string{"os=*"}},
		{name: "the same request sent by its client", o: obs("http", "http.user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "http.host", "api.withings.net"), want: []string{"os=Windows 10"}},
		{
			// A proxy's request carries its client's User-Agent and destination.
			name:   "forwarded http request says nothing about the proxy",
			o:      obs("http", "http.user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "http.host", "api.withings.net", "http.forwarded", "1"),
			reject: []string{"os=*", "manufacturer=*", "type=*"},
		},
		{name: "nbns", o: obs("nbns", "nbns.name", "WORKSTATION7"), want: []string{"hostname=WORKSTATION7"}},
		{name: "ntlm windows 7", o: obs("smb", "smb.ntlm_version", "6.1.7601"), want: []string{"os=Windows 7 / Server 2008 R2", "os=Windows 7 SP1 / Server 2008 R2 SP1", "version=6.1.7601"}},
		{name: "ntlm windows 11", o: obs("smb", "smb.ntlm_version", "10.0.22631"), want: []string{"os=Windows 11 / Server 2025"}, reject: []string{"os=Windows 10 1607 / Server 2016"}},
		{name: "ntlm windows 10 22H2", o: obs("smb", "smb.ntlm_version", "10.0.19045"), want: []string{"os=Windows 10 22H2", "type=workstation"}},
		{name: "ntlm server build is not a workstation", o: obs("smb", "smb.ntlm_version", "10.0.17763"), want: []string{"os=Windows 10 1809 / Server 2019"}, reject: []string{"type=workstation"}},
		{name: "native os XP", o: obs("smb", "smb.native_os", "Windows 5.1", "smb.native_lanman", "Windows 2000 LAN Manager"), want: []string{"os=Windows XP"}, reject: []string{"os=Windows 5.1"}},
		{name: "native os 7", o: obs("smb", "smb.native_os", "Windows 7 Professional 7601 Service Pack 1"), want: []string{"os=Windows 7 Professional"}, reject: []string{"version=*"}},
		{name: "samba", o: obs("smb", "smb.native_os", "Unix", "smb.native_lanman", "Samba 3.0.37"), want: []string{"os=Linux", "software=Samba 3.0.37"}},
	})
}

func TestSSHRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "openssh on debian", o: obs("ssh", "ssh.software", "OpenSSH_9.2p1", "ssh.comments", "Debian-2+deb12u10"), want: []string{"software=OpenSSH 9.2p1 Debian-2+deb12u10", "os=Linux (Debian)"}, reject: []string{"software=OpenSSH 9.2p1"}},
		{name: "openssh on ubuntu", o: obs("ssh", "ssh.software", "OpenSSH_8.2p1", "ssh.comments", "Ubuntu-4ubuntu0.5"), want: []string{"software=OpenSSH 8.2p1 Ubuntu-4ubuntu0.5", "os=Linux (Ubuntu)"}, reject: []string{"software=OpenSSH 8.2p1"}},
		{name: "openssh, other comments", o: obs("ssh", "ssh.software", "OpenSSH_7.4", "ssh.comments", "FreeBSD-20170903"), want: []string{"software=OpenSSH 7.4", "os=FreeBSD"}},
		{name: "openssh for windows", o: obs("ssh", "ssh.software", "OpenSSH_for_Windows_8.1"), want: []string{"software=OpenSSH for Windows 8.1", "os=Windows"}, reject: []string{"software=OpenSSH for"}},
		{name: "dropbear", o: obs("ssh", "ssh.software", "dropbear_2019.78"), want: []string{"software=Dropbear 2019.78", "os=Linux (embedded)"}},
		{name: "cisco ios", o: obs("ssh", "ssh.software", "Cisco-1.25", "ssh.comments", ""), want: []string{"manufacturer=Cisco", "os=Cisco IOS", "type=switch"}},
		{name: "libssh", o: obs("ssh", "ssh.software", "libssh-0.7.4"), want: []string{"software=libssh 0.7.4"}},
		{name: "putty client", o: obs("ssh", "ssh.software", "PuTTY_Release_0.76"), want: []string{"software=PuTTY 0.76", "os=Windows"}},
		{name: "unknown implementation claims nothing", o: obs("ssh", "ssh.software", "WeirdSSH_1.0", "ssh.protocol", "SSH-2.0-WeirdSSH_1.0"), reject: []string{"software=*", "os=*", "manufacturer=*"}},
	})
}

func TestSIPRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "yealink", o: obs("sip", "sip.method", "REGISTER", "sip.user_agent", "Yealink SIP-T54W 96.86.0.70"), want: []string{"manufacturer=Yealink", "model=T54W", "version=96.86.0.70", "type=ip_phone"}},
		{name: "cisco phone answering", o: obs("sip", "sip.status", "200", "sip.server", "Cisco-CP8845/14.1.1"), want: []string{"manufacturer=Cisco", "model=CP-8845", "version=14.1.1", "type=ip_phone"}},
		{name: "polycom", o: obs("sip", "sip.user_agent", "PolycomVVX-VVX_450-UA/6.3.1.8427"), want: []string{"manufacturer=Polycom", "model=450", "version=6.3.1.8427"}},
		{name: "ascom handset", o: obs("sip", "sip.user_agent", "Ascom i63"), want: []string{"manufacturer=Ascom", "model=i63", "type=ip_phone"}},
		{name: "asterisk", o: obs("sip", "sip.status", "200", "sip.server", "Asterisk PBX 18.10.0"), want: []string{"software=Asterisk 18.10.0", "type=server"}},
		{
			// A proxy relays the phone's request with the phone's User-Agent.
			name:   "relayed request says nothing about the proxy",
			o:      obs("sip", "sip.method", "INVITE", "sip.user_agent", "Yealink SIP-T54W 96.86.0.70", "sip.forwarded", "1"),
			reject: []string{"manufacturer=*", "model=*", "type=*", "version=*"},
		},
	})
}

func TestFTPRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "vsftpd", o: obs("ftp", "ftp.banner", "(vsFTPd 3.0.3)"), want: []string{"software=vsftpd 3.0.3", "os=Linux"}},
		{name: "proftpd on debian", o: obs("ftp", "ftp.banner", "ProFTPD 1.3.5e Server (Debian) [::ffff:10.0.0.5]"), want: []string{"software=ProFTPD 1.3.5e", "os=Linux (Debian)"}},
		{name: "filezilla", o: obs("ftp", "ftp.banner", "FileZilla Server 0.9.60 beta"), want: []string{"software=FileZilla Server 0.9.60", "os=Windows"}},
		{name: "ricoh mfp", o: obs("ftp", "ftp.banner", "RICOH MP C3003 FTP server (7.12) ready."), want: []string{"manufacturer=Ricoh", "model=MP C3003", "version=7.12", "type=printer"}},
		{name: "xerox", o: obs("ftp", "ftp.banner", "Xerox WorkCentre 7845 FTP server ready"), want: []string{"manufacturer=Xerox", "model=WorkCentre 7845", "type=printer"}},
		{name: "custom greeting claims nothing", o: obs("ftp", "ftp.banner", "Welcome to the radiology archive."), reject: []string{"software=*", "manufacturer=*", "type=*"}},
	})
}

func TestRDPRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "rdp certificate names the host", o: obs("tls", "tls.cert_subject", "CN=OFFICE-WIN10-VM", "tls.cert_role", "server", "tls.carrier", "rdp"), want: []string{"hostname=OFFICE-WIN10-VM", "os=Windows"}},
		{name: "the same certificate outside RDP is a web server's", o: obs("tls", "tls.cert_subject", "CN=OFFICE-WIN10-VM", "tls.cert_role", "server"), reject: []string{"hostname=*"}},
		{name: "a client certificate is not the server's name", o: obs("tls", "tls.cert_subject", "CN=pump-17", "tls.cert_role", "client", "tls.carrier", "rdp"), reject: []string{"hostname=*"}},
		{name: "no negotiation: legacy windows", o: obs("rdp", "rdp.selected_protocol", "rdp", "rdp.negotiation", "none"), want: []string{"os=Windows XP / Server 2003"}},
		{
			name: "standard security: the client core data of mstsc on Windows 7",
			o:    obs("rdp", "rdp.message", "mcs_connect_initial", "rdp.client_version", "5.0-8.1", "rdp.client_build", "7601", "rdp.client_name", "ECHO-CART-2", "rdp.keyboard_layout", "0x0407"),
			want: []string{"hostname=ECHO-CART-2", "os=Windows 7 SP1 / Server 2008 R2 SP1"},
		},
		{
			// testdata/xrdp_freerdp_stdsec.pcap in internal/dissect/rdp.
			name:   "FreeRDP's constant build 18363 is no Windows",
			o:      obs("rdp", "rdp.message", "mcs_connect_initial", "rdp.client_version", "10.7", "rdp.client_build", "18363", "rdp.client_name", "WARDTESTPC", "rdp.keyboard_layout", "0x0409"),
			want:   []string{"hostname=WARDTESTPC"},
			reject: []string{"os=*"},
		},
		{name: "rdesktop's constant build 2600 is no Windows XP", o: obs("rdp", "rdp.client_build", "2600"), reject: []string{"os=*"}},
		{name: "Windows 11", o: obs("rdp", "rdp.client_build", "22631"), want: []string{"os=Windows 11"}},
		{name: "an unknown build claims nothing", o: obs("rdp", "rdp.client_build", "12345"), reject: []string{"os=*"}},
		{name: "a client name that is no host name", o: obs("rdp", "rdp.client_name", "Pflege Station"), reject: []string{"hostname=*"}},
	})
}

func TestSyslogRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "hostname", o: obs("syslog", "syslog.hostname", "pumpsrv01", "syslog.app", "AlarisSystemsManager"), want: []string{"hostname=pumpsrv01"}},
		{name: "localhost is no name", o: obs("syslog", "syslog.hostname", "localhost"), reject: []string{"hostname=*"}},
		{name: "an address is no name", o: obs("syslog", "syslog.hostname", "10.0.0.5"), reject: []string{"hostname=*"}},
	})
}

func TestWSDRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "wsd printer", o: obs("wsd", "wsd.action", "Hello", "wsd.types", "wsdp:Device wprt:PrintDeviceType"), want: []string{"type=printer"}},
		{name: "onvif camera", o: obs("wsd", "wsd.action", "ProbeMatches", "wsd.scopes", "onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/DS-2CD2142FWD-I onvif://www.onvif.org/name/HIKVISION%20DS-2CD2142FWD-I"), want: []string{"model=DS-2CD2142FWD-I", "manufacturer=Hikvision"}},
		{name: "windows computer", o: obs("wsd", "wsd.action", "Hello", "wsd.types", "pub:Computer"), want: []string{"os=Windows"}},
		{name: "a probe names what the client seeks, not what it is", o: obs("wsd", "wsd.action", "Probe", "wsd.probe_types", "wprt:PrintDeviceType"), reject: []string{"type=*"}},
	})
}

func TestTFTPRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "cisco phone", o: obs("tftp", "tftp.request", "read", "tftp.file", "SEP001122334455.cnf.xml"), want: []string{"manufacturer=Cisco", "type=ip_phone"}},
		{name: "cisco phone ITL", o: obs("tftp", "tftp.file", "ITLSEP001122334455.tlv"), want: []string{"manufacturer=Cisco", "type=ip_phone"}},
		{name: "yealink", o: obs("tftp", "tftp.file", "y000000000044.cfg"), want: []string{"manufacturer=Yealink", "type=ip_phone"}},
		{name: "polycom", o: obs("tftp", "tftp.file", "0004f2abcdef-phone.cfg"), want: []string{"manufacturer=Polycom"}},
		{name: "wds boot", o: obs("tftp", "tftp.file", `bootd\wdsnbp.com`), want: []string{"os=Windows"}},
		{name: "an ordinary file says nothing", o: obs("tftp", "tftp.file", "firmware.bin"), reject: []string{"manufacturer=*", "type=*", "os=*"}},
	})
}

func TestDeviceDescriptionRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "wsd metadata", o: obs("http", "http.device_description", "wsd", "http.device_manufacturer", "Brother Industries, Ltd.", "http.device_model", "Brother HL-L2350DW series", "http.device_serial", "E78123A9N654321", "http.device_firmware", "1.72"),
			want: []string{"manufacturer=Brother", "model=HL-L2350DW series", "serial=E78123A9N654321", "version=1.72"}},
		{name: "placeholder serial", o: obs("http", "http.device_description", "upnp", "http.device_serial", "0"), reject: []string{"serial=*"}},
		{name: "zeros are no serial", o: obs("http", "http.device_description", "upnp", "http.device_serial", "0000000000"), reject: []string{"serial=*"}},
	})
}

func TestTelnetRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "login prompt names the host", o: obs("telnet", "telnet.prompt", "icu-gw login:"), want: []string{"hostname=icu-gw"}},
		{name: "cisco", o: obs("telnet", "telnet.banner", "User Access Verification", "telnet.prompt", "Username:"), want: []string{"manufacturer=Cisco", "os=Cisco IOS"}, reject: []string{"hostname=*"}},
		{name: "busybox", o: obs("telnet", "telnet.banner", "BusyBox v1.19.4 (2015-03-02) built-in shell"), want: []string{"software=BusyBox 1.19.4"}},
		{name: "pump service console", o: obs("telnet", "telnet.banner", "BD Alaris PC 8015 (Guardrails) service console", "telnet.prompt", "login:"), want: []string{"manufacturer=BD"}, reject: []string{"hostname=*"}},
	})
}

func TestSMTPRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "printer names itself", o: obs("smtp", "smtp.helo", "ricoh-mpc3003.radiology.local"), want: []string{"hostname=ricoh-mpc3003.radiology.local"}},
		{name: "address literal", o: obs("smtp", "smtp.helo", "[10.0.0.5]"), reject: []string{"hostname=*"}},
		{name: "placeholder", o: obs("smtp", "smtp.helo", "localhost"), reject: []string{"hostname=*"}},
		{name: "exim", o: obs("smtp", "smtp.banner", "mx1 ESMTP Exim 4.96 Mon, 02 Mar 2026"), want: []string{"software=Exim 4.96"}},
		{name: "exchange", o: obs("smtp", "smtp.banner", "exch01 Microsoft ESMTP MAIL Service ready"), want: []string{"software=Microsoft Exchange", "os=Windows"}},
	})
}

func TestTCPSignatures(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "windows 10 syn", o: obs("tcp", "tcp.syn_signature", "4:128+0:0:1460:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0", "tcp.flags", "syn"), want: []string{"os=Windows 10 or 11"}},
		{name: "windows 7 syn with hops", o: obs("tcp", "tcp.syn_signature", "4:128+3:0:1460:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0", "tcp.flags", "syn"), want: []string{"os=Windows 7 or 8"}},
		{name: "linux loopback", o: obs("tcp", "tcp.syn_signature", "4:64+0:0:65495:mss*1,7:mss,sok,ts,nop,ws:df,id+:0", "tcp.flags", "syn"), want: []string{"os=Linux (loopback)"}},
		{name: "linux modern", o: obs("tcp", "tcp.syn_signature", "4:64+1:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0", "tcp.flags", "syn"), want: []string{"os=Linux 4.x or newer"}},
		{name: "syn+ack uses response signatures", o: obs("tcp", "tcp.syn_signature", "4:128+0:0:1460:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0", "tcp.flags", "syn+ack"), reject: []string{"os=Windows 10 or 11"}},
		{name: "garbage", o: obs("tcp", "tcp.syn_signature", "4:x:y", "tcp.flags", "syn"), reject: []string{"os=*"}},
	})
	e := defaultEngine(t)
	// An exact match beats one that needs fuzziness, and a fuzzy one is cheaper.
	exact := e.Claims(obs("tcp", "tcp.syn_signature", "4:128+0:0:1460:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0"), nil)
	fuzzy := e.Claims(obs("tcp", "tcp.syn_signature", "4:128+0:0:1460:8192,8:mss,nop,ws,nop,nop,sok:df:0"), nil)
	if len(exact) != 1 || len(fuzzy) != 1 || fuzzy[0].Confidence >= exact[0].Confidence {
		t.Fatalf("exact %v fuzzy %v: want one claim each, fuzzy less confident", exact, fuzzy)
	}
}

func TestP0FImport(t *testing.T) {
	p := filepath.Join("..", "..", "..", "shared", "data", "fingerprints", "p0f", "p0f.fp")
	if _, err := os.Stat(p); err != nil {
		t.Skip("shared p0f.fp not present")
	}
	e, err := New(Options{P0FPath: p})
	if err != nil {
		t.Fatal(err)
	}
	if e.TCPSignatureCount() < defaultEngine(t).TCPSignatureCount()+150 {
		t.Fatalf("imported only %d signatures", e.TCPSignatureCount()-defaultEngine(t).TCPSignatureCount())
	}
	// p0f's "s:unix:Linux:3.11 and newer" signature (window 20*mss, scale 10).
	got := summarize(e.Claims(obs("tcp", "tcp.syn_signature", "4:64+2:0:1460:mss*20,10:mss,sok,ts,nop,ws:df,id+:0", "tcp.flags", "syn"), nil))
	if !slices.Contains(got, "os=Linux 3.11 and newer") {
		t.Fatalf("got %v", got)
	}
	if _, err := New(Options{P0FPath: filepath.Join(t.TempDir(), "missing.fp")}); err == nil {
		t.Fatal("missing p0f file: want error")
	}
}

func TestOUIClaims(t *testing.T) {
	e := defaultEngine(t)
	tests := []struct {
		name     string
		o        *observe.Observation
		want     string
		wantNote string
		wantConf float64
	}{
		{"arp sender", obs("arp", "arp.sender_mac", "00:09:fb:11:22:33"), "Philips", "", ouiConfidence},
		{"espressif module is a NIC maker", obs("arp", "arp.sender_mac", "24:0a:c4:11:22:33"), "Espressif", NoteNIC, nicConfidence},
		{"randomised MAC has no OUI", obs("arp", "arp.sender_mac", "da:a1:19:11:22:33"), "", "", 0},
		{"hl7 EUI-64 equipment", obs("hl7", "hl7.equipment_id", "00B0940000C0FFEE^BD^00B0940000C0FFEE^EUI-64"), "BD", "", ouiConfidence},
		{"hl7 MSH-3 EUI-64", obs("hl7", "hl7.sending_application", "IntelliVue_MX800^0009FB00001A2B3C^EUI-64"), "Philips", "", ouiConfidence},
		{"dhcpv6 DUID-LLT", obs("dhcpv6", "dhcpv6.duid", "00:01:00:01:2a:3b:4c:5d:00:09:fb:11:22:33"), "Philips", "", ouiConfidence},
		{"lldp chassis that is not a MAC", obs("lldp", "lldp.chassis_id", "switch-7"), "", "", 0},
		{"dhcp request names the client", obs("dhcp", "dhcp.op", "request", "dhcp.client_mac", "00:09:fb:11:22:33"), "Philips", "", ouiConfidence},
		{"dhcp server reply carries the client's MAC, not its own", obs("dhcp", "dhcp.op", "reply", "dhcp.client_mac", "00:09:fb:11:22:33"), "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Claim
			for _, c := range e.Claims(tt.o, nil) {
				if c.Rule == ouiRule {
					got = append(got, c)
				}
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("want no OUI claim, got %+v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Value != tt.want || got[0].Note != tt.wantNote || got[0].Confidence != tt.wantConf {
				t.Fatalf("got %+v; want %s note %q conf %v", got, tt.want, tt.wantNote, tt.wantConf)
			}
		})
	}
	if v, ok := e.OUIVendor(net.HardwareAddr{0x00, 0xb0, 0x94, 1, 2, 3}); !ok || v != "BD" {
		t.Errorf("OUIVendor(Alaris) = %q, %v", v, ok)
	}
	if _, ok := e.OUIVendor(net.HardwareAddr{0x01, 0x00, 0x5e, 1, 2, 3}); ok {
		t.Error("multicast MAC has an OUI vendor")
	}
	if cs := e.OUIClaim(net.HardwareAddr{0x00, 0x09, 0xfb, 1, 2, 3}, nil); len(cs) != 1 || cs[0].Value != "Philips" {
		t.Errorf("OUIClaim = %+v", cs)
	}
}

func TestClaimProvenance(t *testing.T) {
	e := defaultEngine(t)
	o := obs("dicom", "dicom.serial", "SYN-MR-45678")
	got := e.Claims(o, nil)
	want := []Claim{{Attribute: Serial, Value: "SYN-MR-45678", Confidence: 0.9, Rule: "dicom-serial-tag",
		Protocol: "dicom", Field: "dicom.serial", Observed: "SYN-MR-45678"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("claims (-want +got):\n%s", d)
	}
	// Claims appends.
	more := e.Claims(o, got)
	if len(more) != 2 || more[0] != got[0] {
		t.Fatalf("Claims must append to out: %+v", more)
	}
}

func TestProtocolRestriction(t *testing.T) {
	e := newTestEngine(t, `
rules:
  - id: only-dicom
    protocol: dicom
    confidence: 0.5
    match:
      - {field: x.model, exact: Foo}
    claims: {model: Foo}
`)
	if got := e.Claims(obs("dicom", "x.model", "foo"), nil); len(got) != 1 {
		t.Fatalf("dicom: got %v", got)
	}
	if got := e.Claims(obs("hl7", "x.model", "Foo"), nil); len(got) != 0 {
		t.Fatalf("hl7: got %v", got)
	}
}

// newTestEngine builds an engine whose user dir holds the given file.
func newTestEngine(t *testing.T, yaml string) *Engine {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{UserDir: dir, P0FPath: "-"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestBACnetRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "i-am from a johnson controls engine", o: obs("bacnet", "bacnet.service", "i_am", "bacnet.device_instance", "10060", "bacnet.vendor_id", "5"), want: []string{"manufacturer=Johnson Controls", "type=building_automation"}},
		{name: "siemens registrations are the industrial business", o: obs("bacnet", "bacnet.device_instance", "7", "bacnet.vendor_id", "7"), want: []string{"manufacturer=Siemens (industrial)"}, reject: []string{"manufacturer=Siemens Healthineers"}},
		{name: "an unlisted vendor id claims no manufacturer", o: obs("bacnet", "bacnet.device_instance", "260001", "bacnet.vendor_id", "3001"), want: []string{"type=building_automation"}, reject: []string{"manufacturer=*"}},
		{name: "device object read", o: obs("bacnet", "bacnet.service", "read_property_multiple_ack", "bacnet.device_instance", "10061", "bacnet.vendor_name", "Johnson Controls, Inc.", "bacnet.model_name", "Metasys NAE5510", "bacnet.firmware_revision", "11.0.0.1206", "bacnet.serial_number", "NAE0640299", "bacnet.object_name", "NAE-0299"),
			want: []string{"manufacturer=Johnson Controls", "model=Metasys NAE5510", "version=11.0.0.1206", "serial=NAE0640299", "hostname=NAE-0299"}},
		{name: "open-source stack", o: obs("bacnet", "bacnet.device_instance", "0", "bacnet.vendor_id", "260"), want: []string{"software=BACnet Stack"}, reject: []string{"manufacturer=*"}},
		{
			// A router passes on an answer from a device on another BACnet
			// network: it is not the router's identity.
			name:   "routed answer says nothing about the router",
			o:      obs("bacnet", "bacnet.device_instance", "2001", "bacnet.vendor_id", "5", "bacnet.model_name", "FEC2611", "bacnet.source_network", "5", "bacnet.source_address", "0a"),
			reject: []string{"manufacturer=*", "model=*", "type=*"},
		},
		{name: "forwarded broadcast says nothing about the forwarder", o: obs("bacnet", "bacnet.device_instance", "2001", "bacnet.vendor_id", "17", "bacnet.forwarded_from", "10.9.0.7:47808"), reject: []string{"manufacturer=*", "type=*"}},
	})
}

func TestModbusRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "device identification", o: obs("modbus", "modbus.unit_id", "1", "modbus.vendor_name", "Eaton", "modbus.product_code", "9PX6KIRTN", "modbus.revision", "v2.14.3", "modbus.product_name", "9PX UPS 6kVA", "modbus.model_name", "9PX6KiRT"),
			want: []string{"manufacturer=Eaton", "model=9PX6KiRT", "version=2.14.3"}, reject: []string{"model=9PX UPS 6kVA", "model=9PX6KIRTN"}},
		{name: "basic category only: the product name stands in", o: obs("modbus", "modbus.vendor_name", "Schneider Electric", "modbus.product_name", "PM5560"), want: []string{"manufacturer=Schneider Electric", "model=PM5560"}},
		{name: "a server without identification", o: obs("modbus", "modbus.role", "server", "modbus.unit_id", "1"), want: []string{"type=building_automation"}, reject: []string{"manufacturer=*", "model=*"}},
	})
}

func TestIPPDescriptionRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "printer answering for itself", o: obs("http", "http.device_description", "ipp", "http.device_manufacturer", "HP", "http.device_model", "LaserJet Pro M404dn", "http.device_serial", "PHBBK12345", "http.device_firmware", "002.2308A"),
			want: []string{"manufacturer=HP", "model=LaserJet Pro M404dn", "serial=PHBBK12345", "version=002.2308A", "type=printer"}},
		{
			// CUPS describes the Zebra behind its queue: not the server's identity.
			name:   "print server answering for a queue",
			o:      obs("http", "http.device_description", "ipp", "http.device_manufacturer", "Zebra Technologies", "http.device_model", "ZTC ZD510-300dpi ZPL", "http.device_serial", "D2J193401234", "http.ipp_print_server", "cups"),
			want:   []string{"type=server", "software=CUPS"},
			reject: []string{"manufacturer=*", "model=*", "serial=*", "type=printer"},
		},
	})
}

func TestKerberosRules(t *testing.T) {
	runFamily(t, []familyCase{
		{name: "windows xp machine", o: obs("kerberos", "kerberos.message", "as_req", "kerberos.principal_type", "machine", "kerberos.hostname", "XP1", "kerberos.etypes", "23,-133,-128,3,1,24,-135"),
			want: []string{"hostname=XP1", "os=Windows XP / Server 2003"}},
		{name: "windows 10 offers aes", o: obs("kerberos", "kerberos.message", "as_req", "kerberos.etypes", "18,17,23,24,-135"), want: []string{"os=Windows"}, reject: []string{"os=Windows XP / Server 2003"}},
		{name: "mit client is not windows", o: obs("kerberos", "kerberos.message", "as_req", "kerberos.hostname", "WS01", "kerberos.etypes", "18,17,23,20,19,16,25,26"), want: []string{"hostname=WS01"}, reject: []string{"os=*"}},
		{name: "the kdc", o: obs("kerberos", "kerberos.message", "tgs_rep", "kerberos.role", "kdc", "kerberos.client_hostname", "xp1"), want: []string{"type=server"}, reject: []string{"hostname=*"}},
	})
}

// TestOSBuildVersionNote: a version drawn from a Windows build carries the
// os_build note (vulnerability matching does not take it for an
// appliance's release); the OS claims of the same values do not.
func TestOSBuildVersionNote(t *testing.T) {
	e := defaultEngine(t)
	for _, o := range []*observe.Observation{
		obs("smb", "smb.ntlm_version", "10.0.17763"),
		obs("snmp", "snmp.sys_descr", "Hardware: Intel64 Family 6 Model 85 - Software: Windows Version 6.3 (Build 14393 Multiprocessor Free)"),
	} {
		var versions int
		for _, c := range e.Claims(o, nil) {
			switch c.Attribute {
			case Version:
				versions++
				if c.Note != NoteOSBuild {
					t.Errorf("%s: version %q from rule %s has note %q, want %q", o.Protocol, c.Value, c.Rule, c.Note, NoteOSBuild)
				}
			case OS:
				if c.Note == NoteOSBuild {
					t.Errorf("%s: os claim %q marked os_build", o.Protocol, c.Value)
				}
			}
		}
		if versions == 0 {
			t.Errorf("%s: no version claim", o.Protocol)
		}
	}
}
