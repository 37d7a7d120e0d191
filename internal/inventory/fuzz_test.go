package inventory_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wardiomt/ward/internal/db/dbtest"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/observe"
)

func FuzzLoadLocations(f *testing.F) {
	f.Add("locations:\n  - subnet: 10.1.2.0/24\n    name: ICU-3\n")
	f.Add("locations: 3\n")
	f.Add("- a\n")
	f.Fuzz(func(t *testing.T, s string) {
		locs, err := inventory.LoadLocations(strings.NewReader(s))
		if err == nil {
			for _, l := range locs {
				if !l.Prefix.IsValid() || l.Name == "" {
					t.Fatalf("invalid location accepted: %+v", l)
				}
			}
		}
	})
}

// FuzzIngest feeds arbitrary protocols and fields (as a hostile network
// would) through the service: it must never panic or fail.
func FuzzIngest(f *testing.F) {
	f.Add("dhcp", "dhcp.client_mac", "00:09:fb:12:34:56", "dhcp.your_ip", "10.0.0.1", uint16(67), uint16(68))
	f.Add("hl7", "hl7.equipment_id", "0009FBFFFE123456^x^y^EUI-64", "hl7.sending_application", "a^0009FB00001A2B3C^EUI-64", uint16(1), uint16(2575))
	f.Add("lldp", "lldp.chassis_id", "08:4f:a9:41:33:1f", "lldp.mgmt_address", "10.0.0.9", uint16(0), uint16(0))
	f.Add("service", "service.port", "99999", "flow.bytes", "-5", uint16(23), uint16(4000))
	s := newService(f, dbtest.SQLite(f), nil)
	n := 0
	f.Fuzz(func(t *testing.T, proto, k1, v1, k2, v2 string, sp, dp uint16) {
		n++
		o := ob(t0.Add(time.Duration(n)*time.Hour), proto, "00:1b:21:00:00:01", "10.0.0.2", "00:1b:21:00:00:02", "10.0.0.3", sp, dp)
		o.Add(k1, v1)
		o.Add(k2, v2)
		if o.Protocol == "" {
			o.Protocol = "x"
		}
		if _, err := s.Ingest(context.Background(), "", []observe.Observation{o}); err != nil {
			t.Fatal(err)
		}
	})
}
