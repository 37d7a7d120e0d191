package fingerprint

import (
	"testing"

	"github.com/wardiomt/ward/internal/observe"
)

// benchObservations is a mix of what a hospital sensor sees: many
// observations with no identifying rule (flows, service ports, DNS), and
// some that produce claims.
func benchObservations() []*observe.Observation {
	return []*observe.Observation{
		obs("dicom", "dicom.implementation_class_uid", "1.2.276.0.7230010.3.0.3.6.7", "dicom.implementation_version_name", "OFFIS_DCMTK_367", "dicom.calling_ae", "CT01SYN", "dicom.called_ae", "PACSSYN"),
		obs("dicom", "dicom.manufacturer", "GE MEDICAL SYSTEMS", "dicom.model", "LightSpeed VCT", "dicom.serial", "SYN-CT-000123", "dicom.modality", "CT"),
		obs("hl7", "hl7.sending_application", "ALARIS_PC_8015^00B0940000C0FFEE^EUI-64", "hl7.observation_codes", "69985^MDC_DEV_PUMP_INFUS_MDS^MDC,157784^MDC_FLOW_FLUID_PUMP^MDC"),
		obs("dhcp", "dhcp.message_type", "request", "dhcp.vendor_class", "MSFT 5.0", "dhcp.param_request_list", "1,3,6,15,31,33,43,44,46,47,119,121,249,252", "dhcp.client_mac", "3c:52:82:11:22:33"),
		obs("tcp", "tcp.syn_signature", "4:128+0:0:1460:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0", "tcp.flags", "syn"),
		obs("http", "http.user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36", "http.host", "pacs.example.org"),
		obs("service", "service.port", "443"),
		obs("dns", "dns.query", "time.windows.com"),
		obs("arp", "arp.sender_mac", "00:09:fb:11:22:33", "arp.sender_ip", "10.1.2.3"),
		obs("flow", "flow.app", "tls", "flow.bytes_in", "1234"),
	}
}

func BenchmarkClaims(b *testing.B) {
	e := defaultEngine(b)
	os := benchObservations()
	out := make([]Claim, 0, 64)
	// Warm the manufacturer cache as a running sensor would have.
	for _, o := range os {
		out = e.Claims(o, out[:0])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, o := range os {
			out = e.Claims(o, out[:0])
		}
	}
	b.ReportMetric(float64(len(os)), "obs/op")
}

// TestClaimsAllocs pins the hot path: observations whose claims are
// constants or substrings of the observed values must not allocate.
func TestClaimsAllocs(t *testing.T) {
	e := defaultEngine(t)
	out := make([]Claim, 0, 64)
	cases := map[string]*observe.Observation{
		"no rule":         obs("flow", "flow.app", "tls", "flow.bytes_in", "1234"),
		"constant claims": obs("dhcp", "dhcp.vendor_class", "MSFT 5.0"),
		"value claims":    obs("dicom", "dicom.model", "LightSpeed VCT", "dicom.serial", "SYN-CT-000123"),
		"tcp signature":   obs("tcp", "tcp.syn_signature", "4:128+0:0:1460:mss*44,8:mss,nop,ws,nop,nop,sok:df,id+:0", "tcp.flags", "syn"),
		"oui":             obs("arp", "arp.sender_mac", "00:09:fb:11:22:33"),
	}
	for name, o := range cases {
		out = e.Claims(o, out[:0]) // warm caches
		if n := testing.AllocsPerRun(100, func() { out = e.Claims(o, out[:0]) }); n > 0 {
			t.Errorf("%s: %v allocations per Claims call, want 0", name, n)
		}
	}
}

func BenchmarkClaimsPerProtocol(b *testing.B) {
	e := defaultEngine(b)
	out := make([]Claim, 0, 64)
	for _, o := range benchObservations() {
		b.Run(o.Protocol+"/"+o.Fields[0].Key, func(b *testing.B) {
			out = e.Claims(o, out[:0])
			b.ReportAllocs()
			for b.Loop() {
				out = e.Claims(o, out[:0])
			}
		})
	}
}

// TestConcurrentClaims: one Engine serves every sensor goroutine.
func TestConcurrentClaims(t *testing.T) {
	e := defaultEngine(t)
	os := benchObservations()
	// Distinct manufacturer spellings exercise the canonical-name cache.
	for _, m := range []string{"GE Medical Systems, Inc.", "Philips Medical Systems Nederland B.V.", "Acme Imaging Ltd"} {
		os = append(os, obs("dicom", "dicom.manufacturer", m))
	}
	done := make(chan []Claim)
	for g := 0; g < 8; g++ {
		go func() {
			var out []Claim
			for i := 0; i < 200; i++ {
				for _, o := range os {
					out = e.Claims(o, out[:0])
				}
			}
			done <- out
		}()
	}
	var first []Claim
	for g := 0; g < 8; g++ {
		got := <-done
		if first == nil {
			first = got
		} else if len(got) != len(first) {
			t.Fatalf("goroutines disagree: %d vs %d claims", len(got), len(first))
		}
	}
}
