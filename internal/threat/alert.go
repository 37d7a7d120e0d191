// Package threat learns how each device normally talks (peers, ports,
// protocols, destinations, hourly volume) over a configurable window and then
// raises alerts for what departs from it: a new external destination, a new
// listening service, a new protocol or port, volume far outside the learned
// range, cleartext credentials, SMBv1/RDP from an unusual peer, and matches of
// user-supplied indicators. Alerts carry severity, the device, evidence and
// the baseline they broke; a dedup window, a per-device rate limit and
// snoozes keep their number readable.
package threat

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Kind names what an alert is about.
type Kind string

// Alert kinds.
const (
	KindIndicator    Kind = "known_bad_indicator"
	KindSMBRDPPeer   Kind = "smbv1_rdp_unusual_peer"
	KindNewService   Kind = "new_listening_service"
	KindNewExternal  Kind = "new_external_destination"
	KindCleartext    Kind = "cleartext_credentials"
	KindNewProtocol  Kind = "new_protocol"
	KindNewPort      Kind = "new_port"
	KindVolume       Kind = "volume_anomaly"
	KindRateExceeded Kind = "alert_rate_exceeded"
)

// Kinds lists every kind, most specific first: when one conversation
// breaks several baselines, the alert takes the first kind of this list.
var Kinds = []Kind{KindIndicator, KindSMBRDPPeer, KindNewService, KindNewExternal, KindCleartext, KindNewProtocol, KindNewPort, KindVolume, KindRateExceeded}

func (k Kind) rank() int {
	for i, x := range Kinds {
		if x == k {
			return i
		}
	}
	return len(Kinds)
}

// Severity of an alert.
type Severity string

// Severities, lowest first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

var severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Level is the position of s from 0 (low) to 3 (critical), -1 if unknown.
func (s Severity) Level() int {
	for i, x := range severities {
		if x == s {
			return i
		}
	}
	return -1
}

func (s Severity) bump() Severity {
	if l := s.Level(); l >= 0 && l < len(severities)-1 {
		return severities[l+1]
	}
	return s
}

// State of an alert.
const (
	StateOpen    = "open"
	StateSnoozed = "snoozed" // matched a snooze when raised: stored, not sent
)

// Broken names the baseline an observation departed from.
type Broken struct {
	DeviceID string   `json:"device_id"`
	Baseline string   `json:"baseline"` // public_ips, services, protocols, ports_out, conversations, cleartext, volume, indicators
	Value    string   `json:"value"`    // what was new
	Known    []string `json:"known,omitempty"`
	KnownN   int      `json:"known_count"`
	Detail   string   `json:"detail,omitempty"`
}

// Evidence is one observation behind an alert (never payload, never secrets).
type Evidence struct {
	Time      time.Time `json:"time"`
	Protocol  string    `json:"protocol"`
	Src       string    `json:"src,omitempty"`
	Dst       string    `json:"dst,omitempty"`
	SrcPort   uint16    `json:"src_port,omitempty"`
	DstPort   uint16    `json:"dst_port,omitempty"`
	Transport string    `json:"transport,omitempty"`
	Fields    []string  `json:"fields,omitempty"` // "key=value" of the fields that mattered
}

// Alert is one deviation (or a group of deviations of one conversation).
type Alert struct {
	ID          string     `json:"id"`
	Site        string     `json:"site"`
	DeviceID    string     `json:"device_id"`
	DeviceName  string     `json:"device_name,omitempty"`
	DeviceType  string     `json:"device_type,omitempty"`
	Criticality string     `json:"criticality,omitempty"`
	Kind        Kind       `json:"kind"`
	Severity    Severity   `json:"severity"`
	Title       string     `json:"title"`
	State       string     `json:"state"`
	Incident    string     `json:"incident"` // conversation or subject key grouping related deviations
	First       time.Time  `json:"first"`
	Last        time.Time  `json:"last"`
	Count       int64      `json:"count"`
	Broke       Broken     `json:"broke"`
	Also        []Broken   `json:"also,omitempty"` // further baselines the same conversation broke
	Evidence    []Evidence `json:"evidence"`
	Baseline    Window     `json:"baseline_window"`
	SnoozedBy   string     `json:"snoozed_by,omitempty"`
}

// Window is the learning period of a baseline.
type Window struct {
	From  time.Time `json:"from"`
	Until time.Time `json:"until"`
}

func alertID(site, device string, kind Kind, incident string, t time.Time) string {
	h := sha256.Sum256([]byte(site + "|" + device + "|" + string(kind) + "|" + incident + "|" + t.UTC().Format(time.RFC3339Nano)))
	return "a" + hex.EncodeToString(h[:8])
}

const maxEvidence = 20

func (a *Alert) addEvidence(ev Evidence) {
	if len(a.Evidence) < maxEvidence {
		a.Evidence = append(a.Evidence, ev)
	}
}

func (a *Alert) addAlso(b Broken) {
	if b.DeviceID == a.Broke.DeviceID && b.Baseline == a.Broke.Baseline && b.Value == a.Broke.Value {
		return
	}
	for _, x := range a.Also {
		if x.DeviceID == b.DeviceID && x.Baseline == b.Baseline && x.Value == b.Value {
			return
		}
	}
	if len(a.Also) < maxEvidence {
		a.Also = append(a.Also, b)
	}
}
