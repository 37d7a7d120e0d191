package dns

import "errors"

// Config selects the protocol flavour a Dissector reads.
type Config struct {
	Protocol string // observation protocol and field prefix
	Port     uint16 // UDP port served (either side of the datagram)
}

func defaultConfig() Config { return Config{Protocol: "dns", Port: 53} }

func llmnrConfig() Config { return Config{Protocol: "llmnr", Port: 5355} }

// Validate rejects a config without a protocol name or port.
func (c Config) Validate() error {
	var errs []error
	if c.Protocol == "" {
		errs = append(errs, errors.New("dns config: protocol is empty"))
	}
	if c.Port == 0 {
		errs = append(errs, errors.New("dns config: port is 0"))
	}
	return errors.Join(errs...)
}
