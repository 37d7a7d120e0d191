package mdns

// Config holds the mDNS dissector's settings.
type Config struct {
	Port uint16 // UDP port, either side of the datagram
}

// defaultConfig is RFC 6762's port.
func defaultConfig() Config { return Config{Port: 5353} }
