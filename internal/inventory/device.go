// Package inventory keeps the devices of each site: who they are (identity
// with evidence), where they are, what they serve and talk to, how much they
// are used, and what changed. The Service applies observations and claims;
// persistence is behind the Store interface (see sqlstore for SQLite and
// PostgreSQL).
package inventory

import (
	"net/netip"
	"time"

	"github.com/wardiomt/ward/internal/canon"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
)

// DefaultSite is the site of observations that do not name one.
const DefaultSite = "default"

// Device is one device of one site. Slices are bounded (see Options) so an
// attacker's traffic cannot grow a device without limit.
type Device struct {
	ID            string            `json:"id"`
	Site          string            `json:"site"`
	MAC           string            `json:"mac,omitempty"`  // primary MAC; "" for IP-only or behind-gateway devices
	MACs          []string          `json:"macs,omitempty"` // every MAC merged into this device (two NICs)
	RandomMAC     bool              `json:"random_mac,omitempty"`
	EUI64         string            `json:"eui64,omitempty"`
	BehindGateway bool              `json:"behind_gateway,omitempty"`
	Gateways      []string          `json:"gateways,omitempty"`  // ids of devices that reported this one
	Router        bool              `json:"router,omitempty"`    // its MAC carries many source IPs
	Routed        int               `json:"routed,omitempty"`    // frames seen carrying other devices' addresses
	Equipment     []string          `json:"equipment,omitempty"` // non-EUI HL7 equipment ids it reported
	ClientIDs     []string          `json:"client_ids,omitempty"`
	IPs           []IPRecord        `json:"ips,omitempty"` // most recent first
	Identity      identity.Identity `json:"identity,omitempty"`
	Services      []ServicePort     `json:"services,omitempty"`
	Protocols     []ProtocolSeen    `json:"protocols,omitempty"`
	AETitles      []string          `json:"ae_titles,omitempty"`
	// DICOMSources are the equipment (manufacturer, model, serial) whose
	// objects it sent, at most maxSources: two or more make it a
	// forwarder (a PACS or DICOM router), whose objects describe others.
	DICOMSources []string `json:"dicom_sources,omitempty"`
	// HL7Senders are the EUI-64s its HL7 messages named in MSH-3: two or
	// more make it a forwarder (an interface engine or gateway).
	HL7Senders []string `json:"hl7_senders,omitempty"`
	// HL7Gateway is set once its HL7 messages carried a device row
	// (OBX-18) naming another device's EUI-64: a central station or
	// gateway reporting for bedside devices. The observation codes of its
	// messages are then theirs, not its own.
	HL7Gateway bool `json:"hl7_gateway,omitempty"`
	// SyslogHosts are the HOSTNAMEs its syslog messages carried: two or
	// more make it a relay (a log collector forwarding others' messages).
	SyslogHosts  []string   `json:"syslog_hosts,omitempty"`
	SwitchPort   string     `json:"switch_port,omitempty"`
	Subnet       string     `json:"subnet,omitempty"`
	Location     string     `json:"location,omitempty"`
	LocationFrom string     `json:"location_from,omitempty"` // "dhcp-option-82", "lldp", "cdp", "config"
	Signals      []Signal   `json:"signals,omitempty"`
	Contacts     []Contact  `json:"contacts,omitempty"`
	External     []External `json:"external,omitempty"`
	Utilization  []DayUse   `json:"utilization,omitempty"` // oldest first
	FirstSeen    time.Time  `json:"first_seen"`
	LastSeen     time.Time  `json:"last_seen"`
	Silent       bool       `json:"silent,omitempty"`
	Observations int64      `json:"observations"`
}

// IPRecord is one address a device used, with how it was learned.
type IPRecord struct {
	IP     string    `json:"ip"`
	Source string    `json:"source"` // "dhcp-ack" (authoritative) or "observed"
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
}

// ServicePort is a port the device listens on.
type ServicePort struct {
	Port      uint16    `json:"port"`
	Transport string    `json:"transport"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Count     int64     `json:"count"`
	Peers     []Peer    `json:"peers,omitempty"` // clients that connected, most recent first
}

// Peer is a device that connected to a service.
type Peer struct {
	IP    string    `json:"ip,omitempty"`
	MAC   string    `json:"mac,omitempty"`
	Count int64     `json:"count"`
	Last  time.Time `json:"last"`
}

// ProtocolSeen is a protocol the device spoke.
type ProtocolSeen struct {
	Name  string    `json:"name"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	Count int64     `json:"count"`
}

// Signal is a cleartext or weak-security practice seen on the device.
type Signal struct {
	Name     string    `json:"name"` // e.g. "snmp_cleartext_community", "smbv1", "tls_legacy_version", "telnet"
	Protocol string    `json:"protocol"`
	Field    string    `json:"field,omitempty"`
	Value    string    `json:"value,omitempty"` // never a secret: community strings and credentials are not kept
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Count    int64     `json:"count"`
}

// Contact is a conversation partner from flow observations.
type Contact struct {
	Peer      string    `json:"peer"`
	Port      uint16    `json:"port"` // responder port
	Transport string    `json:"transport"`
	Outbound  bool      `json:"outbound"` // this device initiated
	App       string    `json:"app,omitempty"`
	Bytes     int64     `json:"bytes"`
	Packets   int64     `json:"packets"`
	Count     int64     `json:"count"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
}

// External is a public destination the device contacted.
type External struct {
	IP    string    `json:"ip"`
	Port  uint16    `json:"port"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	Count int64     `json:"count"`
}

// DayUse is the clinical utilization of one UTC day.
type DayUse struct {
	Day     string `json:"day"`   // YYYY-MM-DD
	Hours   uint32 `json:"hours"` // bit h set: clinical traffic during hour h
	Stores  int64  `json:"stores"`
	Results int64  `json:"results"`
	Msgs    int64  `json:"messages"` // DICOM and HL7 observations
}

// ActiveHours counts the hours with clinical traffic.
func (u DayUse) ActiveHours() int {
	n := 0
	for h := u.Hours; h != 0; h &= h - 1 {
		n++
	}
	return n
}

// Attr returns the established value of an identity attribute, "" if unknown.
func (d *Device) Attr(a fingerprint.Attribute) string { return d.Identity.Value(a) }

// IP returns the most recent address, "" if none.
func (d *Device) IP() string {
	if len(d.IPs) == 0 {
		return ""
	}
	return d.IPs[0].IP
}

// Criticality derives from the device type; "" when the type is unknown.
func (d *Device) Criticality() string {
	t := d.Attr(fingerprint.DeviceType)
	if t == "" || !canon.ValidType(t) {
		return ""
	}
	return string(canon.CriticalityOf(canon.DeviceType(t)))
}

// EventType names a change.
type EventType string

// Change events.
const (
	EventNew           EventType = "new"
	EventMoved         EventType = "moved"
	EventSoftware      EventType = "software_update"
	EventConfiguration EventType = "configuration_change"
	EventSilent        EventType = "silent"
	EventReturned      EventType = "returned"
)

// Event is a stored change of a device.
type Event struct {
	ID        int64     `json:"id"`
	Site      string    `json:"site"`
	DeviceID  string    `json:"device_id"`
	Type      EventType `json:"type"`
	Attribute string    `json:"attribute,omitempty"` // what changed: "version", "switch_port", "service", ...
	Before    string    `json:"before,omitempty"`
	After     string    `json:"after,omitempty"`
	Time      time.Time `json:"time"`
}

// Key is a lookup key of a device within a site.
type Key struct {
	Kind  string // see Key* constants
	Value string
}

// Key kinds.
const (
	KeyMAC      = "mac"    // a globally administered (or recently seen random) MAC
	KeyIP       = "ip"     // IP-only device
	KeyLease    = "lease"  // current IP of a MAC device, for IP-only observations
	KeySerial   = "serial" // established serial number
	KeyClientID = "cid"    // DHCP client identifier
	KeyEUI64    = "eui64"  // HL7 equipment identifier
	KeyHost     = "host"   // hostname of a device with a random MAC
)

// DeviceFilter selects, sorts and pages devices.
type DeviceFilter struct {
	Site         string    // "" = every site
	Sites        []string  // non-nil: only these sites (merged into one page, like a single site)
	IDs          []string  // only these ids
	Query        string    // case-insensitive substring of id, mac, ip, hostname, manufacturer or model
	Type         string    // canon device type
	Manufacturer string    // exact canonical name
	Criticality  string    // canon criticality
	SeenSince    time.Time // last_seen at or after
	Silent       *bool     // nil = both
	Sort         string    // id, mac, ip, hostname, manufacturer, model, type, criticality, first_seen, last_seen; "-" prefix = descending
	Limit        int       // 0 = no limit
	Offset       int
}

// EventFilter selects events.
type EventFilter struct {
	Site     string
	DeviceID string
	Types    []EventType
	Since    time.Time // at or after
	AfterID  int64     // id greater than (for polling)
	Limit    int
}

// Prefix maps a subnet to a location name (from the config file).
type Prefix struct {
	Prefix netip.Prefix
	Name   string
}
