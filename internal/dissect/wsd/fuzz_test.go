package wsd

import (
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

func FuzzDissectUDP(f *testing.F) {
	f.Add([]byte(envelope("", "Hello", `<wsd:Hello><wsa:EndpointReference><wsa:Address>urn:a</wsa:Address></wsa:EndpointReference><wsd:Types>a b</wsd:Types></wsd:Hello>`)))
	f.Add([]byte(envelope("", "Probe", `<wsd:Probe><wsd:Types>x</wsd:Types></wsd:Probe>`)))
	f.Add([]byte("<a:Action>/Hello</a:Action><b:Body><c:Address>&amp;&lt;</c:Address>"))
	f.Fuzz(func(t *testing.T, p []byte) {
		var c observe.Collector
		_ = New().DissectUDP(dissecttest.UDPMeta(), p, &c)
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > maxText {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
			}
		}
	})
}
