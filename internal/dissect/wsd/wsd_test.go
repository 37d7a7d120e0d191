package wsd

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
	"github.com/wardiomt/ward/internal/testutil"
)

// envelope builds a WS-Discovery SOAP envelope (2005/04 namespace unless
// ns says otherwise) with one action and body.
func envelope(ns, action, body string) string {
	if ns == "" {
		ns = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
	}
	return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsd="` + ns + `">` +
		`<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To><wsa:Action>` + ns + `/` + action + `</wsa:Action>` +
		`<wsa:MessageID>urn:uuid:0f6e2a3c-0000-4000-8000-000000000001</wsa:MessageID><wsa:ReplyTo><wsa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address></wsa:ReplyTo>` +
		`<wsd:AppSequence InstanceId="1" MessageNumber="3"/></soap:Header><soap:Body>` + body + `</soap:Body></soap:Envelope>`
}

func TestDissectUDP(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want map[string]string
	}{
		{
			name: "a printer says Hello",
			msg: envelope("", "Hello", `<wsd:Hello><wsa:EndpointReference><wsa:Address>urn:uuid:e3248000-80ce-11db-8000-001ba99ec956</wsa:Address></wsa:EndpointReference>`+
				`<wsd:Types>wsdp:Device wprt:PrintDeviceType   wscn:ScanDeviceType</wsd:Types><wsd:XAddrs>http://10.4.2.31:80/WebServices/Device</wsd:XAddrs><wsd:MetadataVersion>2</wsd:MetadataVersion></wsd:Hello>`),
			want: map[string]string{"wsd.action": "Hello", "wsd.address": "urn:uuid:e3248000-80ce-11db-8000-001ba99ec956",
				"wsd.types": "wsdp:Device wprt:PrintDeviceType wscn:ScanDeviceType", "wsd.xaddrs": "http://10.4.2.31:80/WebServices/Device"},
		},
		{
			name: "an ONVIF camera answers a probe (WS-Discovery 1.1)",
			msg: envelope("http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01", "ProbeMatches", `<wsd:ProbeMatches><wsd:ProbeMatch><wsa:EndpointReference><wsa:Address>urn:uuid:4d454930-0000-1000-8000-bcbac2a1b2c3</wsa:Address></wsa:EndpointReference>`+
				"<wsd:Types>dn:NetworkVideoTransmitter tds:Device</wsd:Types><wsd:Scopes>onvif://www.onvif.org/type/video_encoder\n onvif://www.onvif.org/hardware/DS-2CD2142FWD-I onvif://www.onvif.org/name/HIKVISION%20DS-2CD2142FWD-I onvif://www.onvif.org/location/city/hangzhou</wsd:Scopes>"+
				`<wsd:XAddrs>http://10.9.0.40/onvif/device_service</wsd:XAddrs><wsd:MetadataVersion>10</wsd:MetadataVersion></wsd:ProbeMatch></wsd:ProbeMatches>`),
			want: map[string]string{"wsd.action": "ProbeMatches", "wsd.address": "urn:uuid:4d454930-0000-1000-8000-bcbac2a1b2c3", "wsd.types": "dn:NetworkVideoTransmitter tds:Device",
				"wsd.scopes": "onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/hardware/DS-2CD2142FWD-I onvif://www.onvif.org/name/HIKVISION%20DS-2CD2142FWD-I onvif://www.onvif.org/location/city/hangzhou",
				"wsd.xaddrs": "http://10.9.0.40/onvif/device_service"},
		},
		{
			name: "a client's probe: what it looks for, nothing about it",
			msg:  envelope("", "Probe", `<wsd:Probe><wsd:Types>wsdp:Device</wsd:Types></wsd:Probe>`),
			want: map[string]string{"wsd.action": "Probe", "wsd.probe_types": "wsdp:Device"},
		},
		{
			name: "bye with an escaped address",
			msg:  envelope("", "Bye", `<wsd:Bye><wsa:EndpointReference><wsa:Address>urn:x&amp;y</wsa:Address></wsa:EndpointReference></wsd:Bye>`),
			want: map[string]string{"wsd.action": "Bye", "wsd.address": "urn:x&y"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c observe.Collector
			if err := New().DissectUDP(dissecttest.UDPMeta(), []byte(tc.msg), &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Obs) != 1 {
				t.Fatalf("%d observations", len(c.Obs))
			}
			if diff := cmp.Diff(tc.want, dissecttest.FieldMap(c.Obs[0])); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"", "<x/>", envelope("", "Frob", ""), "<soap:Envelope><wsa:Action>Hello"} {
		var c observe.Collector
		if err := New().DissectUDP(dissecttest.UDPMeta(), []byte(bad), &c); err == nil || len(c.Obs) != 0 {
			t.Errorf("%q: err %v, %d observations", bad, err, len(c.Obs))
		}
	}
}

// The shared capture is a Windows client resolving a device by its
// endpoint address, over IPv4 and IPv6: Resolve, 14 times.
func TestSharedCapture(t *testing.T) {
	path := testutil.SharedData(t, "pcaps/ndpi/upnp.pcap")
	var obs []observe.Observation
	for _, f := range dissecttest.RunChecked(t, path, New()) {
		obs = append(obs, f.Obs)
	}
	if len(obs) != 14 {
		t.Fatalf("%d observations, want 14", len(obs))
	}
	for _, o := range obs {
		if diff := cmp.Diff(map[string]string{"wsd.action": "Resolve"}, dissecttest.FieldMap(o)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

func TestMatchUDP(t *testing.T) {
	d := New()
	if !d.MatchUDP(50000, 3702, []byte("\xef\xbb\xbf<?xml")) || !d.MatchUDP(3702, 50000, []byte("<soap:Envelope")) || d.MatchUDP(50000, 3703, []byte("<x")) || d.MatchUDP(50000, 3702, []byte("M-SEARCH")) {
		t.Error("MatchUDP: want XML to or from port 3702")
	}
	if strings.Contains(envelope("", "Hello", ""), "\x00") {
		t.Fatal("test envelope")
	}
}
