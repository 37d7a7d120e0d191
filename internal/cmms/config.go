// Package cmms pushes inventory change events to computerized maintenance
// management systems (CMMS) through a durable outbox, and holds the connectors
// (webhook, FHIR R4, ServiceNow-style Import Set, CSV file) behind one small
// interface. Reconciliation against a CMMS asset list is in cmms/reconcile.
package cmms

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wardiomt/ward/internal/inventory"
)

// Connector types.
const (
	TypeWebhook    = "webhook"
	TypeFHIR       = "fhir"
	TypeFHIRFile   = "fhir-file"
	TypeServiceNow = "servicenow"
	TypeCSV        = "csv"
)

// DefaultEvents are the change events pushed when a connector names none.
var DefaultEvents = []inventory.EventType{
	inventory.EventNew, inventory.EventMoved, inventory.EventSoftware,
	inventory.EventConfiguration, inventory.EventSilent,
}

// Config is the `cmms:` section of the Ward config file.
type Config struct {
	Outbox     OutboxConfig      `yaml:"outbox"`
	Connectors []ConnectorConfig `yaml:"connectors"`
}

// OutboxConfig tunes delivery.
type OutboxConfig struct {
	MaxAttempts int           `yaml:"max_attempts"` // dead-letter after this many failed tries
	Backoff     time.Duration `yaml:"backoff"`      // first retry delay, doubled per try
	MaxBackoff  time.Duration `yaml:"max_backoff"`
	Timeout     time.Duration `yaml:"timeout"`     // per send
	Interval    time.Duration `yaml:"interval"`    // poll period of the continuous deliverer
	Concurrency int           `yaml:"concurrency"` // sends in flight per connector
	GapExpiry   time.Duration `yaml:"gap_expiry"`  // how long a missing event id is waited for (see docs/cmms.md)
	Retention   time.Duration `yaml:"retention"`   // delivered rows older than this are pruned by Run; 0 keeps them
}

// DefaultOutbox returns the delivery defaults.
func DefaultOutbox() OutboxConfig {
	return OutboxConfig{
		MaxAttempts: 10, Backoff: 5 * time.Second, MaxBackoff: time.Hour,
		Timeout: 30 * time.Second, Interval: 10 * time.Second, Concurrency: 4,
		GapExpiry: 10 * time.Minute, Retention: 30 * 24 * time.Hour,
	}
}

// Field maps one CMMS field to a Ward attribute (see Attributes) or a
// constant written "const:VALUE".
type Field struct {
	Name string `yaml:"name"`
	From string `yaml:"from"`
}

// ConnectorConfig configures one connector. Which settings apply depends on Type.
type ConnectorConfig struct {
	Name   string   `yaml:"name"`
	Type   string   `yaml:"type"`
	Sites  []string `yaml:"sites"`  // empty: every site
	Events []string `yaml:"events"` // empty: DefaultEvents
	Fields []Field  `yaml:"fields"` // empty: the type's default mapping

	URL       string `yaml:"url"`        // webhook endpoint, FHIR base URL, ServiceNow instance URL
	Secret    string `yaml:"secret"`     // webhook HMAC key
	SecretEnv string `yaml:"secret_env"` // ... or the environment variable holding it
	Header    string `yaml:"header"`     // webhook signature header (default X-Ward-Signature)

	Table       string `yaml:"table"` // ServiceNow import set table
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
	TokenEnv    string `yaml:"token_env"` // OAuth bearer token instead of basic auth

	Path             string `yaml:"path"`              // csv: file; fhir-file: directory
	MaxBatch         int    `yaml:"max_batch"`         // FHIR/ServiceNow records per request
	IdentifierSystem string `yaml:"identifier_system"` // FHIR system of Ward's device id
}

// LoadConfig reads the `cmms:` section of a Ward config file; other sections
// belong to other components. The section itself is decoded strictly.
func LoadConfig(r io.Reader) (Config, error) {
	cfg := Config{Outbox: DefaultOutbox()}
	var top map[string]yaml.Node
	if err := yaml.NewDecoder(r).Decode(&top); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil
		}
		return cfg, fmt.Errorf("config: %w", err)
	}
	node, ok := top["cmms"]
	if !ok {
		return cfg, nil
	}
	raw, err := yaml.Marshal(&node)
	if err != nil {
		return cfg, fmt.Errorf("config cmms: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return cfg, fmt.Errorf("config cmms: %w", err)
	}
	def := DefaultOutbox()
	o := &cfg.Outbox
	if o.MaxAttempts == 0 {
		o.MaxAttempts = def.MaxAttempts
	}
	if o.Backoff == 0 {
		o.Backoff = def.Backoff
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = def.MaxBackoff
	}
	if o.Timeout == 0 {
		o.Timeout = def.Timeout
	}
	if o.Interval == 0 {
		o.Interval = def.Interval
	}
	if o.Concurrency == 0 {
		o.Concurrency = def.Concurrency
	}
	if o.GapExpiry == 0 {
		o.GapExpiry = def.GapExpiry
	}
	if o.Retention == 0 {
		o.Retention = def.Retention
	}
	return cfg, cfg.Validate()
}

// LoadConfigFile is LoadConfig on a file; "" gives the defaults and no connectors.
func LoadConfigFile(path string) (Config, error) {
	if path == "" {
		return Config{Outbox: DefaultOutbox()}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	cfg, err := LoadConfig(f)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	o := c.Outbox
	if o.MaxAttempts < 1 || o.Backoff <= 0 || o.MaxBackoff < o.Backoff || o.Timeout <= 0 || o.Concurrency < 1 {
		return fmt.Errorf("cmms.outbox: max_attempts, backoff, timeout and concurrency must be positive and max_backoff >= backoff")
	}
	seen := map[string]bool{}
	for i, cc := range c.Connectors {
		if err := cc.Validate(); err != nil {
			return fmt.Errorf("cmms.connectors[%d]: %w", i, err)
		}
		if seen[cc.Name] {
			return fmt.Errorf("cmms.connectors[%d]: duplicate name %q", i, cc.Name)
		}
		seen[cc.Name] = true
	}
	return nil
}

// Validate checks one connector's settings.
func (cc *ConnectorConfig) Validate() error {
	if cc.Name == "" {
		return errors.New("name is required")
	}
	need := func(field, v string) error {
		if v == "" {
			return fmt.Errorf("%s: %s is required for type %s", cc.Name, field, cc.Type)
		}
		return nil
	}
	var err error
	switch cc.Type {
	case TypeWebhook:
		err = errors.Join(need("url", cc.URL), need("secret or secret_env", cc.Secret+cc.SecretEnv))
	case TypeFHIR:
		err = need("url", cc.URL)
	case TypeServiceNow:
		err = errors.Join(need("url", cc.URL), need("table", cc.Table))
		if cc.TokenEnv == "" && cc.Username == "" {
			err = errors.Join(err, fmt.Errorf("%s: username/password_env or token_env is required", cc.Name))
		}
	case TypeCSV, TypeFHIRFile:
		err = need("path", cc.Path)
	default:
		return fmt.Errorf("%s: unknown type %q (webhook, fhir, fhir-file, servicenow, csv)", cc.Name, cc.Type)
	}
	if err != nil {
		return err
	}
	for _, e := range cc.Events {
		if !slices.Contains(allEvents, inventory.EventType(e)) {
			return fmt.Errorf("%s: unknown event %q", cc.Name, e)
		}
	}
	for _, f := range cc.Fields {
		if f.Name == "" || !validSource(f.From) {
			return fmt.Errorf("%s: field %q: unknown source %q", cc.Name, f.Name, f.From)
		}
	}
	return nil
}

var allEvents = []inventory.EventType{
	inventory.EventNew, inventory.EventMoved, inventory.EventSoftware,
	inventory.EventConfiguration, inventory.EventSilent, inventory.EventReturned,
}

// wants reports whether the connector takes event type t of site.
func (cc *ConnectorConfig) wants(site string, t inventory.EventType) bool {
	if len(cc.Sites) > 0 && !slices.Contains(cc.Sites, site) {
		return false
	}
	if len(cc.Events) == 0 {
		return slices.Contains(DefaultEvents, t)
	}
	return slices.Contains(cc.Events, string(t))
}
