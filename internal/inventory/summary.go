package inventory

import (
	"time"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
)

// Summary is the stable JSON contract of `ward devices --json` (and what
// integrations read): unknown values are null, never guessed strings.
type Summary struct {
	ID            string                       `json:"id"`
	Site          string                       `json:"site"`
	MAC           *string                      `json:"mac"`
	IPs           []string                     `json:"ips"`
	Manufacturer  *string                      `json:"manufacturer"`
	Model         *string                      `json:"model"`
	Version       *string                      `json:"version"`
	Serial        *string                      `json:"serial"`
	Type          *string                      `json:"type"`
	Criticality   *string                      `json:"criticality"`
	OS            *string                      `json:"os"`
	Hostname      *string                      `json:"hostname"`
	Location      *string                      `json:"location"`
	Services      []SummaryService             `json:"services"`
	Confidence    map[string]float64           `json:"confidence"`
	Evidence      map[string][]SummaryEvidence `json:"evidence"`
	BehindGateway bool                         `json:"behind_gateway"`
	Silent        bool                         `json:"silent"`
	FirstSeen     time.Time                    `json:"first_seen"`
	LastSeen      time.Time                    `json:"last_seen"`
}

// SummaryService is a listening port in the summary.
type SummaryService struct {
	Port      uint16 `json:"port"`
	Transport string `json:"transport"`
}

// SummaryEvidence is one piece of evidence for an attribute's value.
type SummaryEvidence struct {
	Protocol string `json:"protocol"`
	Field    string `json:"field"`
	Value    string `json:"value"`
	Rule     string `json:"rule"`
}

func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Summarize returns d in the JSON contract.
func (d *Device) Summarize() Summary {
	s := Summary{
		ID: d.ID, Site: d.Site, MAC: ptr(d.MAC), IPs: []string{},
		Manufacturer: ptr(d.Attr(fingerprint.Manufacturer)), Model: ptr(d.Attr(fingerprint.Model)),
		Version: ptr(d.Attr(fingerprint.Version)), Serial: ptr(d.Attr(fingerprint.Serial)),
		Type: ptr(d.Attr(fingerprint.DeviceType)), Criticality: ptr(d.Criticality()),
		OS: ptr(d.Attr(fingerprint.OS)), Hostname: ptr(d.Attr(fingerprint.Hostname)), Location: ptr(d.Location),
		Services:   []SummaryService{},
		Confidence: map[string]float64{}, Evidence: map[string][]SummaryEvidence{},
		BehindGateway: d.BehindGateway, Silent: d.Silent, FirstSeen: d.FirstSeen, LastSeen: d.LastSeen,
	}
	for _, r := range d.IPs {
		s.IPs = append(s.IPs, r.IP)
	}
	for _, p := range d.Services {
		s.Services = append(s.Services, SummaryService{Port: p.Port, Transport: p.Transport})
	}
	for name, a := range d.Identity {
		if a == nil || !a.Known() {
			continue
		}
		s.Confidence[string(name)] = a.Confidence
		s.Evidence[string(name)] = summaryEvidence(a)
	}
	return s
}

func summaryEvidence(a *identity.Attribute) []SummaryEvidence {
	c := a.Current()
	if c == nil {
		return []SummaryEvidence{}
	}
	out := make([]SummaryEvidence, 0, len(c.Evidence))
	for _, e := range c.Evidence {
		out = append(out, SummaryEvidence{Protocol: e.Protocol, Field: e.Field, Value: e.Value, Rule: e.Rule})
	}
	return out
}
