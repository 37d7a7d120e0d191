// Package observe defines the Observation: the only thing a dissector emits,
// and the JSON Lines contract that `ward observe`, sensors and the inventory share.
package observe

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// Field is one `<protocol>.<name>` = value pair. Values are always strings;
// a protocol message carrying several values of the same key (mDNS services,
// DNS questions, DICOM abstract syntaxes) yields one observation per value.
type Field struct {
	Key   string
	Value string
}

// Observation is one identifying fact heard on the wire.
// MAC and IP are the packet's own addresses; who the fact is about is decided
// later (inventory), because gateways report on devices behind them.
type Observation struct {
	Time      time.Time
	SrcMAC    net.HardwareAddr
	DstMAC    net.HardwareAddr
	SrcIP     netip.Addr
	DstIP     netip.Addr
	SrcPort   uint16
	DstPort   uint16
	Transport string // "tcp", "udp" or "" for link-layer protocols
	Protocol  string
	Fields    []Field
}

// Get returns the first value of key and whether it was present.
func (o *Observation) Get(key string) (string, bool) {
	for _, f := range o.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// Add appends a field; empty values are dropped because they identify nothing.
func (o *Observation) Add(key, value string) {
	if value == "" {
		return
	}
	o.Fields = append(o.Fields, Field{Key: key, Value: value})
}

// Clone returns a deep copy, safe to keep after the emitter's buffers are reused.
func (o *Observation) Clone() Observation {
	c := *o
	if o.SrcMAC != nil {
		c.SrcMAC = append(net.HardwareAddr(nil), o.SrcMAC...)
	}
	if o.DstMAC != nil {
		c.DstMAC = append(net.HardwareAddr(nil), o.DstMAC...)
	}
	c.Fields = append([]Field(nil), o.Fields...)
	return c
}

// Key returns a stable identity of the observation used for idempotent ingest:
// the same packet seen twice gives the same key.
func (o *Observation) Key() string {
	var b strings.Builder
	b.WriteString(o.Time.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(&b, "|%s|%s|%s|%s|%d|%d|%s|%s", o.SrcMAC, o.DstMAC, addrString(o.SrcIP), addrString(o.DstIP), o.SrcPort, o.DstPort, o.Transport, o.Protocol)
	fs := append([]Field(nil), o.Fields...)
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].Key != fs[j].Key {
			return fs[i].Key < fs[j].Key
		}
		return fs[i].Value < fs[j].Value
	})
	for _, f := range fs {
		b.WriteString("|")
		b.WriteString(f.Key)
		b.WriteString("=")
		b.WriteString(f.Value)
	}
	return b.String()
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// wire is the JSON Lines layout documented in docs/observations.md.
type wire struct {
	Time      string            `json:"time"`
	SrcMAC    *string           `json:"src_mac"`
	SrcIP     *string           `json:"src_ip"`
	DstMAC    *string           `json:"dst_mac"`
	DstIP     *string           `json:"dst_ip"`
	SrcPort   *uint16           `json:"src_port"`
	DstPort   *uint16           `json:"dst_port"`
	Transport *string           `json:"transport"`
	Protocol  string            `json:"protocol"`
	Fields    map[string]string `json:"fields"`
}

// MarshalJSON writes the contract layout (see AppendJSON). When one key
// repeats in an observation (it should not), the values are joined with ", ".
func (o Observation) MarshalJSON() ([]byte, error) {
	return o.AppendJSON(make([]byte, 0, 256)), nil
}

// UnmarshalJSON reads the contract layout strictly: a bad time, MAC or IP is an error.
func (o *Observation) UnmarshalJSON(b []byte) error {
	if fastUnmarshal(b, o) {
		return nil
	}
	return o.slowUnmarshal(b)
}

// slowUnmarshal is the encoding/json reading every input can take.
func (o *Observation) slowUnmarshal(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, w.Time)
	if err != nil {
		return fmt.Errorf("observation time: %w", err)
	}
	if w.Protocol == "" {
		return errors.New("observation has no protocol")
	}
	n := Observation{Time: t, Protocol: w.Protocol}
	if w.SrcMAC != nil {
		if n.SrcMAC, err = net.ParseMAC(*w.SrcMAC); err != nil {
			return fmt.Errorf("src_mac: %w", err)
		}
	}
	if w.DstMAC != nil {
		if n.DstMAC, err = net.ParseMAC(*w.DstMAC); err != nil {
			return fmt.Errorf("dst_mac: %w", err)
		}
	}
	if w.SrcIP != nil {
		if n.SrcIP, err = netip.ParseAddr(*w.SrcIP); err != nil {
			return fmt.Errorf("src_ip: %w", err)
		}
	}
	if w.DstIP != nil {
		if n.DstIP, err = netip.ParseAddr(*w.DstIP); err != nil {
			return fmt.Errorf("dst_ip: %w", err)
		}
	}
	if w.Transport != nil {
		n.Transport = *w.Transport
	}
	if w.SrcPort != nil {
		n.SrcPort = *w.SrcPort
	}
	if w.DstPort != nil {
		n.DstPort = *w.DstPort
	}
	keys := make([]string, 0, len(w.Fields))
	for k := range w.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n.Fields = append(n.Fields, Field{Key: k, Value: w.Fields[k]})
	}
	*o = n
	return nil
}

// Emitter receives observations. Implementations must Clone what they keep:
// dissectors reuse the Observation they pass.
type Emitter interface {
	Emit(o *Observation)
}

// EmitterFunc adapts a function to Emitter.
type EmitterFunc func(o *Observation)

// Emit calls f(o).
func (f EmitterFunc) Emit(o *Observation) { f(o) }

// Collector keeps clones of everything emitted; handy for tests and small runs.
type Collector struct{ Obs []Observation }

// Emit stores a clone of o.
func (c *Collector) Emit(o *Observation) { c.Obs = append(c.Obs, o.Clone()) }
