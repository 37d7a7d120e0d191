package syslog

import (
	"strings"
	"testing"

	"github.com/wardiomt/ward/internal/dissect/dissecttest"
	"github.com/wardiomt/ward/internal/observe"
)

func FuzzDissectUDP(f *testing.F) {
	f.Add([]byte("<134>1 2026-03-02T08:00:00Z host app 1 ID - msg"))
	f.Add([]byte("<30>Mar  2 08:00:00 host tag[1]: msg"))
	f.Add([]byte("<13>2013-09-12T19:16:34.45+04:00 localhost through rsyslog: m"))
	f.Fuzz(func(t *testing.T, p []byte) {
		var c observe.Collector
		_ = New().DissectUDP(dissecttest.UDPMeta(), p, &c)
		for _, o := range c.Obs {
			for _, fl := range o.Fields {
				if len(fl.Value) > maxText {
					t.Fatalf("%s: %d bytes", fl.Key, len(fl.Value))
				}
				if fl.Key != "syslog.format" && strings.Contains(fl.Value, " ") {
					t.Fatalf("%s = %q: a header field never holds a space", fl.Key, fl.Value)
				}
			}
		}
	})
}
