package astm

import "fmt"

// Config bounds what one connection may make the dissector buffer and read.
type Config struct {
	// MaxRecord caps one Header record kept across frames and TCP
	// segments; a longer one is skipped. Other records are never kept.
	MaxRecord int
	// MaxMessages is how many Header records (one per message) of a
	// connection are read before it stops being inspected: the instrument
	// repeats the same header in every message.
	MaxMessages int
	// MaxRecords stops inspection after this many records of any type, so
	// a connection whose headers never parse still costs little.
	MaxRecords int
}

func defaultConfig() Config {
	return Config{MaxRecord: 8 << 10, MaxMessages: 8, MaxRecords: 512}
}

// DefaultConfig returns the settings New uses.
func DefaultConfig() Config { return defaultConfig() }

// Validate rejects settings that would disable a bound.
func (c Config) Validate() error {
	if c.MaxRecord < 256 || c.MaxRecord > 1<<20 || c.MaxMessages < 1 || c.MaxRecords < 1 {
		return fmt.Errorf("astm config out of range: %+v", c)
	}
	return nil
}
