package dhcpv6

// Config holds the DHCPv6 dissector's settings.
type Config struct {
	ClientPort, ServerPort uint16
}

// defaultConfig uses RFC 8415's ports.
func defaultConfig() Config { return Config{ClientPort: 546, ServerPort: 547} }

func (c Config) port(p uint16) bool { return p == c.ClientPort || p == c.ServerPort }
