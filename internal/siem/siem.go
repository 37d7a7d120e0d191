// Package siem sends Ward events (threat alerts, inventory change events,
// new high-risk findings) to security tools: syslog (RFC 5424 over UDP, TCP
// with octet counting (RFC 6587), or TLS (RFC 5425)) carrying CEF or JSON,
// and a webhook signed with HMAC-SHA256.
package siem

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/threat"
)

// Event is one thing worth telling a SIEM.
type Event struct {
	Class    string            `json:"class"` // "alert", "change", "finding"
	Type     string            `json:"type"`  // alert kind, change type, or "high_risk_finding"
	Name     string            `json:"name"`
	Severity int               `json:"severity"` // CEF 0..10
	Time     time.Time         `json:"time"`
	Site     string            `json:"site"`
	DeviceID string            `json:"device_id"`
	SrcIP    string            `json:"src_ip,omitempty"`
	DstIP    string            `json:"dst_ip,omitempty"`
	DstPort  uint16            `json:"dst_port,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
}

var cefSeverity = map[threat.Severity]int{threat.SeverityLow: 3, threat.SeverityMedium: 5, threat.SeverityHigh: 8, threat.SeverityCritical: 10}

// FromAlert converts a threat alert.
func FromAlert(a threat.Alert) Event {
	e := Event{Class: "alert", Type: string(a.Kind), Name: a.Title, Severity: cefSeverity[a.Severity], Time: a.Last, Site: a.Site, DeviceID: a.DeviceID,
		Fields: map[string]string{"alert_id": a.ID, "severity": string(a.Severity), "baseline": a.Broke.Baseline, "value": a.Broke.Value, "count": strconv.FormatInt(a.Count, 10)}}
	if a.DeviceType != "" {
		e.Fields["device_type"] = a.DeviceType
	}
	if len(a.Evidence) > 0 {
		ev := a.Evidence[0]
		e.SrcIP, e.DstIP, e.DstPort = ev.Src, ev.Dst, ev.DstPort
	}
	return e
}

// FromChange converts an inventory change event.
func FromChange(c inventory.Event) Event {
	sev := 3
	switch c.Type {
	case inventory.EventNew, inventory.EventConfiguration:
		sev = 5
	}
	e := Event{Class: "change", Type: string(c.Type), Name: "device " + strings.ReplaceAll(string(c.Type), "_", " "), Severity: sev, Time: c.Time, Site: c.Site, DeviceID: c.DeviceID,
		Fields: map[string]string{}}
	for k, v := range map[string]string{"attribute": c.Attribute, "before": c.Before, "after": c.After} {
		if v != "" {
			e.Fields[k] = v
		}
	}
	return e
}

// Finding is the part of a risk finding a SIEM needs (kept local so this
// package does not depend on the risk model's internals).
type Finding struct {
	Site     string
	DeviceID string
	CVE      string
	Score    float64 // 0..10
	Priority string
	Summary  string
	Time     time.Time
}

// FromFinding converts a new high-risk finding.
func FromFinding(f Finding) Event {
	sev := int(f.Score + 0.5)
	sev = min(max(sev, 0), 10)
	return Event{Class: "finding", Type: "high_risk_finding", Name: f.Summary, Severity: sev, Time: f.Time, Site: f.Site, DeviceID: f.DeviceID,
		Fields: map[string]string{"cve": f.CVE, "priority": f.Priority, "score": strconv.FormatFloat(f.Score, 'f', 1, 64)}}
}

// cefEscapeHeader escapes a CEF header field: backslash and pipe.
func cefEscapeHeader(s string) string {
	return strings.NewReplacer(`\`, `\\`, `|`, `\|`, "\n", " ", "\r", " ").Replace(s)
}

// cefEscapeValue escapes an extension value: backslash, equals, newlines.
func cefEscapeValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `=`, `\=`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// CEF renders e as ArcSight Common Event Format:
// CEF:0|Ward|Ward|version|signature|name|severity|extensions.
func CEF(e Event, version string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CEF:0|Ward|Ward|%s|%s|%s|%d|", cefEscapeHeader(version), cefEscapeHeader(e.Class+":"+e.Type), cefEscapeHeader(e.Name), e.Severity)
	ext := [][2]string{{"rt", strconv.FormatInt(e.Time.UnixMilli(), 10)}, {"cat", e.Class}, {"deviceExternalId", e.DeviceID}, {"cs1Label", "site"}, {"cs1", e.Site}}
	if e.SrcIP != "" {
		ext = append(ext, [2]string{"src", e.SrcIP})
	}
	if e.DstIP != "" {
		ext = append(ext, [2]string{"dst", e.DstIP})
	}
	if e.DstPort != 0 {
		ext = append(ext, [2]string{"dpt", strconv.Itoa(int(e.DstPort))})
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var msg []string
	for _, k := range keys {
		msg = append(msg, k+"="+e.Fields[k])
	}
	if len(msg) > 0 {
		ext = append(ext, [2]string{"msg", strings.Join(msg, " ")})
	}
	for i, kv := range ext {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(cefEscapeValue(kv[1]))
	}
	return b.String()
}
