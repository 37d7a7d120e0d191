package dhcp

// Config holds the DHCPv4 dissector's settings.
type Config struct {
	ServerPort, ClientPort uint16
}

// defaultConfig uses the BOOTP ports of RFC 951.
func defaultConfig() Config { return Config{ServerPort: 67, ClientPort: 68} }

func (c Config) port(p uint16) bool { return p == c.ServerPort || p == c.ClientPort }
