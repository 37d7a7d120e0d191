// Package decode turns captured frames into dissector calls: L2–L4 with
// gopacket's DecodingLayerParser on preallocated layers, bounded IPv4
// reassembly, a bounded TCP flow table with in-order stream delivery, and
// per-flow inspection that stops as soon as dissectors have what they need.
package decode

import (
	"errors"
	"fmt"
	"time"
)

// Config bounds every table that traffic can grow.
type Config struct {
	MaxFlows             int           // TCP flows tracked at once
	FlowIdle             time.Duration // a flow idle this long is forgotten
	MaxBytesPerDirection int           // inspection cutoff per direction of a flow
	MaxReorderBytes      int           // out-of-order bytes buffered per direction
	MaxFragDatagrams     int           // IPv4 datagrams under reassembly at once
	FragTimeout          time.Duration
	SynSignatures        bool // emit tcp.syn_signature for SYN and SYN+ACK
	Services             bool // emit service.port for SYN/SYN-ACK pairs and UDP servers
	Flows                bool // emit a flow summary when a conversation ends
}

// DefaultConfig is tuned for a hospital SPAN port on a small sensor.
func DefaultConfig() Config {
	return Config{
		MaxFlows:             262144,
		FlowIdle:             2 * time.Minute,
		MaxBytesPerDirection: 256 << 10,
		MaxReorderBytes:      64 << 10,
		MaxFragDatagrams:     1024,
		FragTimeout:          30 * time.Second,
		SynSignatures:        true,
		Services:             true,
		Flows:                true,
	}
}

// Validate rejects settings that would disable a bound.
func (c Config) Validate() error {
	var errs []error
	if c.MaxFlows <= 0 {
		errs = append(errs, fmt.Errorf("max flows must be > 0, got %d", c.MaxFlows))
	}
	if c.FlowIdle <= 0 {
		errs = append(errs, fmt.Errorf("flow idle timeout must be > 0, got %s", c.FlowIdle))
	}
	if c.MaxBytesPerDirection <= 0 {
		errs = append(errs, fmt.Errorf("per-direction byte cutoff must be > 0, got %d", c.MaxBytesPerDirection))
	}
	if c.MaxReorderBytes < 0 || c.MaxFragDatagrams <= 0 || c.FragTimeout <= 0 {
		errs = append(errs, errors.New("reorder and fragment bounds must be positive"))
	}
	return errors.Join(errs...)
}
