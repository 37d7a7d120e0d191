package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/observe"
)

// Claimer turns an observation into identity claims (fingerprint.Engine does).
type Claimer interface {
	Claims(o *observe.Observation, out []fingerprint.Claim) []fingerprint.Claim
}

// NoClaims is a Claimer that claims nothing: the inventory still tracks
// addresses, services, contacts and events without a rule set.
type NoClaims struct{}

// Claims returns out unchanged.
func (NoClaims) Claims(_ *observe.Observation, out []fingerprint.Claim) []fingerprint.Claim {
	return out
}

// Options tunes the service. Start from DefaultOptions.
type Options struct {
	Policy       identity.Policy
	SilentAfter  time.Duration  // no observation for this long: "silent"
	Learning     time.Duration  // after first seen, no configuration_change events (baseline)
	RandomMACGap time.Duration  // a random MAC unseen this long starts a new device unless its DHCP client id matches
	RouterIPs    int            // a MAC sourcing more recent IPs than this is a router; its IPs become IP-only devices
	Locations    []Prefix       // subnet -> location name
	Internal     []netip.Prefix // public prefixes the site owns (devices may use them); private ranges always count
	MaxIPs       int
	MaxServices  int
	MaxPeers     int // per service
	MaxContacts  int
	MaxExternal  int
	MaxSignals   int
	MaxProtocols int
	MaxAETitles  int
	MaxDays      int // utilization days kept
	Logger       *slog.Logger
}

// DefaultOptions returns the defaults.
func DefaultOptions() Options {
	return Options{
		Policy:       identity.DefaultPolicy(),
		SilentAfter:  7 * 24 * time.Hour,
		Learning:     time.Hour,
		RandomMACGap: 24 * time.Hour,
		RouterIPs:    8,
		MaxIPs:       32,
		MaxServices:  64,
		MaxPeers:     32,
		MaxContacts:  256,
		MaxExternal:  128,
		MaxSignals:   32,
		MaxProtocols: 48,
		MaxAETitles:  16,
		MaxDays:      90,
	}
}

// Validate checks the options.
func (o *Options) Validate() error {
	var errs []error
	if o.SilentAfter <= 0 {
		errs = append(errs, fmt.Errorf("silent-after must be > 0, got %s", o.SilentAfter))
	}
	if o.Learning < 0 || o.RandomMACGap <= 0 {
		errs = append(errs, errors.New("learning must be >= 0 and random-mac gap > 0"))
	}
	if o.RouterIPs < 1 || o.MaxIPs < 1 || o.MaxServices < 1 || o.MaxPeers < 1 || o.MaxContacts < 1 ||
		o.MaxExternal < 1 || o.MaxSignals < 1 || o.MaxProtocols < 1 || o.MaxAETitles < 1 || o.MaxDays < 1 {
		errs = append(errs, errors.New("bounds (router IPs, max IPs/services/peers/contacts/external/signals/protocols/AE titles/days) must be >= 1"))
	}
	if o.Policy.MaxCandidates < 1 || o.Policy.MaxEvidence < 1 {
		errs = append(errs, errors.New("identity policy bounds must be >= 1"))
	}
	return errors.Join(errs...)
}

// LoadLocations reads the `locations:` list of a Ward config file:
//
//	locations:
//	  - subnet: 10.1.2.0/24
//	    name: ICU-3
//
// Other top-level sections belong to other components and are ignored here;
// the locations entries themselves are decoded strictly.
func LoadLocations(r io.Reader) ([]Prefix, error) {
	var top map[string]yaml.Node
	if err := yaml.NewDecoder(r).Decode(&top); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	node, ok := top["locations"]
	if !ok {
		return nil, nil
	}
	raw, err := yaml.Marshal(&node)
	if err != nil {
		return nil, fmt.Errorf("config locations: %w", err)
	}
	var entries []struct {
		Subnet string `yaml:"subnet"`
		Name   string `yaml:"name"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("config locations: %w", err)
	}
	out := make([]Prefix, 0, len(entries))
	for i, e := range entries {
		p, err := netip.ParsePrefix(e.Subnet)
		if err != nil {
			return nil, fmt.Errorf("config locations[%d]: subnet: %w", i, err)
		}
		if e.Name == "" {
			return nil, fmt.Errorf("config locations[%d] (%s): name is empty", i, e.Subnet)
		}
		out = append(out, Prefix{Prefix: p.Masked(), Name: e.Name})
	}
	return out, nil
}
