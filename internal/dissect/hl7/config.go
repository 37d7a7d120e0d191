package hl7

import "fmt"

// Config bounds what one connection may make the dissector buffer and read.
type Config struct {
	// MaxMessage caps one MLLP frame kept across TCP segments; a larger
	// frame is dropped and the stream resynchronises on the next start block.
	MaxMessage int
	// MaxMessages is how many messages of a connection are read before it
	// stops being inspected (identity repeats in every message).
	MaxMessages int
}

func defaultConfig() Config {
	return Config{MaxMessage: 1 << 20, MaxMessages: 64}
}

// DefaultConfig returns the settings New uses.
func DefaultConfig() Config { return defaultConfig() }

// Validate rejects settings that would disable a bound.
func (c Config) Validate() error {
	if c.MaxMessage < 1024 || c.MaxMessage > 64<<20 || c.MaxMessages < 1 {
		return fmt.Errorf("hl7 config out of range: %+v", c)
	}
	return nil
}
