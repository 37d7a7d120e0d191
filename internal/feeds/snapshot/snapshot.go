// Package snapshot bundles a dated, compressed offline copy of the feeds
// (all ICSMA and medical ICSA CSAF, the NVD and CVE 5 records Ward ships,
// KEV, and EPSS rows of the CVEs involved) so that Ward matches without
// network or /work/shared. Regenerate with `go generate ./internal/feeds/snapshot`.
package snapshot

//go:generate go run ./gen -data ../../../../shared/data/feeds -out data/snapshot.json.gz

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/wardiomt/ward/internal/vuln"
)

// File is the snapshot's serialized form.
type File struct {
	Date       string           `json:"date"` // newest source date, YYYY-MM-DD
	Sources    []string         `json:"sources"`
	Advisories []vuln.Advisory  `json:"advisories"`
	KEV        []vuln.KEVEntry  `json:"kev"`
	EPSS       []vuln.EPSSScore `json:"epss"`
}

//go:embed data/snapshot.json.gz
var blob []byte

var load = sync.OnceValues(func() (*File, error) { return Decode(blob) })

// Load returns the bundled snapshot, decoded once per process.
func Load() (*File, error) { return load() }

// Decode reads a gzip-compressed snapshot.
func Decode(b []byte) (*File, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	var f File
	dec := json.NewDecoder(zr)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return &f, nil
}

// Provider returns the snapshot as an in-memory vuln.Provider.
func (f *File) Provider() *vuln.MemProvider {
	p := &vuln.MemProvider{Items: f.Advisories, KEVs: map[string]vuln.KEVEntry{}, EPSSs: map[string]vuln.EPSSScore{}}
	for _, k := range f.KEV {
		p.KEVs[k.CVE] = k
	}
	for _, e := range f.EPSS {
		p.EPSSs[e.CVE] = e
	}
	return p
}
