package simulate

import (
	"slices"
	"time"

	"github.com/wardiomt/ward/internal/canon"
)

// Truth is the ground truth of one run (see docs/simulate.md).
type Truth struct {
	Seed    uint64        `json:"seed"`
	Start   time.Time     `json:"start"`
	End     time.Time     `json:"end"`
	Devices []TruthDevice `json:"devices"`
	Events  []Event       `json:"events"`
}

// TruthDevice is one device as it stands at the end of the capture; the
// events carry what it was before each change.
type TruthDevice struct {
	ID            string    `json:"id"`
	MAC           string    `json:"mac"`
	IPs           []string  `json:"ips"`
	Manufacturer  string    `json:"manufacturer"`
	Model         string    `json:"model"`
	Version       string    `json:"version"`
	Serial        string    `json:"serial"`
	Type          string    `json:"type"`
	Criticality   string    `json:"criticality"`
	OS            string    `json:"os"`
	Hostname      string    `json:"hostname"`
	Location      string    `json:"location"`
	Switch        string    `json:"switch,omitempty"`
	SwitchPort    string    `json:"switch_port,omitempty"`
	Services      []Service `json:"services"`
	IdentifiedBy  []string  `json:"identified_by"`
	BehindGateway string    `json:"behind_gateway"`
	CatalogKind   string    `json:"catalog_kind"`
}

// Event is one change of a device during the capture.
type Event struct {
	Time     time.Time      `json:"time"`
	DeviceID string         `json:"device_id"`
	Kind     string         `json:"kind"`
	Before   map[string]any `json:"before,omitempty"`
	After    map[string]any `json:"after,omitempty"`
	Detail   string         `json:"detail"`
}

func (s *sim) truth() *Truth {
	tab := canon.NewTable(nil)
	t := &Truth{Seed: s.cfg.Seed, Start: time.Unix(0, s.start).UTC(), End: time.Unix(0, s.end).UTC(),
		Devices: make([]TruthDevice, 0, len(s.devs)), Events: s.truthE}
	if t.Events == nil {
		t.Events = []Event{}
	}
	slices.SortStableFunc(t.Events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	for _, d := range s.devs {
		m, _ := tab.Manufacturer(d.kind.Manufacturer)
		td := TruthDevice{ID: d.id(), MAC: d.mac.String(), IPs: []string{}, Manufacturer: m, Model: d.model(), Version: d.version(),
			Serial: d.serial, Type: d.kind.Type, Criticality: string(canon.CriticalityOf(canon.DeviceType(d.kind.Type))),
			OS: d.kind.OS, Hostname: d.hostname, Location: s.net.locs[d.loc].name, Services: s.services(d), CatalogKind: d.kind.ID}
		for _, ip := range d.ips {
			td.IPs = append(td.IPs, ip.String())
		}
		if d.sw >= 0 {
			td.Switch = s.devs[d.sw].hostname
			td.SwitchPort = s.portName(d.sw, d.port)
		}
		if d.gateway >= 0 {
			td.BehindGateway = s.devs[d.gateway].id()
			td.IdentifiedBy = []string{}
			if d.seen&pHL7 != 0 {
				td.IdentifiedBy = []string{"hl7"}
			}
			td.Services = []Service{}
		} else {
			td.IdentifiedBy = []string{}
			for i, name := range identityNames {
				if d.seen&(1<<i) != 0 {
					td.IdentifiedBy = append(td.IdentifiedBy, name)
				}
			}
		}
		t.Devices = append(t.Devices, td)
	}
	return t
}
