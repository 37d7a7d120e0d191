package poct

import "fmt"

// Config bounds what one connection may make the dissector read.
type Config struct {
	// MaxMessage caps one message (from the end of the previous one to
	// its root's end tag); a longer one is skipped and the parser starts
	// looking for the next message root.
	MaxMessage int
	// AfterHello is how many more messages (either direction) are read
	// after a Hello was reported before the connection stops being
	// inspected: a device repeats its Hello only on a new connection.
	AfterHello int
	// MaxMessages stops inspection after this many messages of any type,
	// so a conversation that carries no Hello (a capture that started
	// mid-connection) costs little.
	MaxMessages int
	// MaxBytes stops inspection after this many bytes (both directions),
	// whatever they held.
	MaxBytes int
}

func defaultConfig() Config {
	return Config{MaxMessage: 16 << 10, AfterHello: 4, MaxMessages: 16, MaxBytes: 512 << 10}
}

// DefaultConfig returns the settings New uses.
func DefaultConfig() Config { return defaultConfig() }

// Validate rejects settings that would disable a bound.
func (c Config) Validate() error {
	if c.MaxMessage < 256 || c.MaxMessage > 1<<20 || c.AfterHello < 0 || c.MaxMessages < 1 || c.MaxBytes < c.MaxMessage {
		return fmt.Errorf("poct config out of range: %+v", c)
	}
	return nil
}
