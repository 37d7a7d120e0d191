package risk

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wardiomt/ward/internal/canon"
)

// Config holds the site's tuning and overrides, read from a YAML file:
//
//	min_observation: 168h      # never seen for this long counts as "not used"
//	hub_peers: 5               # this many distinct clients make a device a hub
//	fleet_size: 10             # this many devices of one model make a fleet-wide outage
//	overrides:
//	  - model: MAGNETOM Vida    # or device: ID, manufacturer:, type:
//	    sole: true              # the only one in the hospital
//	    safety: critical        # negligible, marginal, critical, catastrophic
//	    mission: mef_failure    # degraded, mef_support_crippled, mef_failure, mission_failure
//	    phi: true
//	    note: the only MR in the hospital
type Config struct {
	MinObservation time.Duration `yaml:"min_observation"`
	HubPeers       int           `yaml:"hub_peers"`
	FleetSize      int           `yaml:"fleet_size"` // this many devices of one model sharing a flaw threaten a whole clinical function
	Overrides      []Override    `yaml:"overrides"`
}

// Override adjusts the impact of matching devices. Every non-empty selector
// must match (case-insensitive).
type Override struct {
	Device       string `yaml:"device" json:"device,omitempty"`
	Manufacturer string `yaml:"manufacturer" json:"manufacturer,omitempty"`
	Model        string `yaml:"model" json:"model,omitempty"`
	Type         string `yaml:"type" json:"type,omitempty"`
	Sole         *bool  `yaml:"sole" json:"sole,omitempty"`
	PHI          *bool  `yaml:"phi" json:"phi,omitempty"`
	Safety       string `yaml:"safety" json:"safety,omitempty"`
	Mission      string `yaml:"mission" json:"mission,omitempty"`
	Note         string `yaml:"note" json:"note,omitempty"`
}

// DefaultConfig is a week of observation and five clients for a hub.
func DefaultConfig() Config {
	return Config{MinObservation: 7 * 24 * time.Hour, HubPeers: 5, FleetSize: 10}
}

var (
	safetyKeys  = map[string]string{"negligible": "N", "marginal": "M", "critical": "R", "catastrophic": "C"}
	missionKeys = map[string]string{"degraded": "D", "mef_support_crippled": "MSC", "mef_failure": "MEF", "mission_failure": "MF"}
)

// Validate checks the config.
func (c Config) Validate() error {
	var errs []error
	if c.MinObservation < 0 {
		errs = append(errs, errors.New("min_observation must not be negative"))
	}
	if c.HubPeers < 1 {
		errs = append(errs, errors.New("hub_peers must be at least 1"))
	}
	if c.FleetSize < 2 {
		errs = append(errs, errors.New("fleet_size must be at least 2"))
	}
	for i, o := range c.Overrides {
		if o.Device == "" && o.Manufacturer == "" && o.Model == "" && o.Type == "" {
			errs = append(errs, fmt.Errorf("overrides[%d]: needs device, manufacturer, model or type", i))
		}
		if o.Type != "" && !canon.ValidType(o.Type) {
			errs = append(errs, fmt.Errorf("overrides[%d]: unknown type %q", i, o.Type))
		}
		if _, ok := safetyKeys[o.Safety]; o.Safety != "" && !ok {
			errs = append(errs, fmt.Errorf("overrides[%d]: safety %q is not one of negligible, marginal, critical, catastrophic", i, o.Safety))
		}
		if _, ok := missionKeys[o.Mission]; o.Mission != "" && !ok {
			errs = append(errs, fmt.Errorf("overrides[%d]: mission %q is not one of degraded, mef_support_crippled, mef_failure, mission_failure", i, o.Mission))
		}
	}
	return errors.Join(errs...)
}

// LoadConfig reads a config file over the defaults (strict: unknown keys fail).
func LoadConfig(r io.Reader) (Config, error) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return c, fmt.Errorf("risk config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("risk config: %w", err)
	}
	return c, nil
}

func (o Override) matches(id, mfr, model, typ string) bool {
	eq := func(sel, v string) bool { return sel == "" || strings.EqualFold(strings.TrimSpace(sel), v) }
	return eq(o.Device, id) && eq(o.Manufacturer, mfr) && eq(o.Model, model) && eq(o.Type, typ)
}

func (c Config) overridesFor(id, mfr, model, typ string) []Override {
	return slices.DeleteFunc(slices.Clone(c.Overrides), func(o Override) bool { return !o.matches(id, mfr, model, typ) })
}
