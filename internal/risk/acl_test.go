package risk

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRestrictACL(t *testing.T) {
	a := &Action{ID: "restrict_access-0a1b2c3d4e", Kind: KindRestrict, Title: "Allow DICOM (tcp/104) on 2 × CT only from the 2 client(s) that use it",
		Ports:        []PortRef{{"tcp", 104}},
		AllowedPeers: []string{"10.0.4.11", "fd00::11"},
		Devices:      []ActionDevice{{ID: "a", IP: "10.0.8.20"}, {ID: "b", IP: "fd00::20"}, {ID: "c"}}}
	got := restrictACL(a)
	want := &ACL{CiscoIOS: `! Allow DICOM (tcp/104) on 2 × CT only from the 2 client(s) that use it
object-group network WARD-0A1B2C3D4E-CLIENTS
 host 10.0.4.11
object-group network WARD-0A1B2C3D4E-DEVICES
 host 10.0.8.20
ip access-list extended WARD-0A1B2C3D4E
 permit tcp object-group WARD-0A1B2C3D4E-CLIENTS object-group WARD-0A1B2C3D4E-DEVICES eq 104
 deny   tcp any object-group WARD-0A1B2C3D4E-DEVICES eq 104 log
 permit ip any any
ipv6 access-list WARD-0A1B2C3D4E-V6
 permit tcp host fd00::11 host fd00::20 eq 104
 deny tcp any host fd00::20 eq 104 log
 permit ipv6 any any
`, IPTables: `# Allow DICOM (tcp/104) on 2 × CT only from the 2 client(s) that use it
iptables -N WARD-0A1B2C3D4E
iptables -A WARD-0A1B2C3D4E -s 10.0.4.11 -j ACCEPT
iptables -A WARD-0A1B2C3D4E -j DROP
iptables -I FORWARD -p tcp -d 10.0.8.20 --dport 104 -j WARD-0A1B2C3D4E
ip6tables -N WARD-0A1B2C3D4E
ip6tables -A WARD-0A1B2C3D4E -s fd00::11 -j ACCEPT
ip6tables -A WARD-0A1B2C3D4E -j DROP
ip6tables -I FORWARD -p tcp -d fd00::20 --dport 104 -j WARD-0A1B2C3D4E
`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ACL (-want +got):\n%s", diff)
	}
}
