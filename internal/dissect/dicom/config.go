package dicom

import (
	"fmt"
)

// Config bounds what one association may make the dissector buffer.
type Config struct {
	// MaxAssociatePDU caps A-ASSOCIATE-RQ/AC bodies kept for parsing; larger
	// ones are skipped by length (real ones are a few KiB).
	MaxAssociatePDU int
	// MaxCommand caps a DIMSE command set (a few hundred bytes in practice).
	MaxCommand int
	// MaxDataset caps the C-STORE dataset prefix buffered (after inflation
	// for deflated syntaxes) to find the device attributes, which sit in the
	// first few KiB; pixel data is never needed.
	MaxDataset int
	// MaxDatasetTries is how many C-STORE datasets without any device
	// attribute are read before the association stops being inspected.
	MaxDatasetTries int
}

func defaultConfig() Config {
	return Config{
		MaxAssociatePDU: 64 << 10,
		MaxCommand:      16 << 10,
		MaxDataset:      64 << 10,
		MaxDatasetTries: 3,
	}
}

// DefaultConfig returns the settings New uses.
func DefaultConfig() Config { return defaultConfig() }

// Validate rejects settings that would disable a bound.
func (c Config) Validate() error {
	if c.MaxAssociatePDU < 1024 || c.MaxCommand < 256 || c.MaxDataset < 1024 || c.MaxDatasetTries < 1 {
		return fmt.Errorf("dicom config out of range: %+v", c)
	}
	return nil
}
