// Package uplink ships a remote sensor's observations to a Ward server: it
// cuts them into batches with unique ids, keeps every batch in a bounded
// on-disk spool until the server acknowledged it, and resends after outages.
// The server applies each batch id once, so resending is always safe.
package uplink

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/wardiomt/ward/internal/observe"
)

// Wire constants shared with the server.
const (
	UploadPath    = "/api/v1/sensors/upload"
	HeaderBacklog = "X-Ward-Spool-Backlog" // batches still spooled behind this one
	HeaderDropped = "X-Ward-Spool-Dropped" // batches dropped from the full spool since it was created
)

// Batch is the upload body (gzip-compressed JSON).
type Batch struct {
	BatchID      string                `json:"batch_id"`
	Sensor       string                `json:"sensor"`
	Site         string                `json:"site"`
	Observations []observe.Observation `json:"observations"`
}

// Response is the server's answer to an upload.
type Response struct {
	Applied bool `json:"applied"` // false: the batch was applied before
}

// NewBatchID returns a random batch id.
func NewBatchID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Validate checks what the server relies on.
func (b *Batch) Validate() error {
	switch {
	case b.BatchID == "" || len(b.BatchID) > 128:
		return errors.New("batch_id must be 1-128 characters")
	case len(b.Sensor) > 128:
		return errors.New("sensor name longer than 128 characters")
	case len(b.Site) > 128:
		return errors.New("site longer than 128 characters")
	}
	return nil
}

// Encode returns the gzip-compressed JSON of b.
func (b *Batch) Encode() ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(b); err != nil {
		return nil, fmt.Errorf("encode batch %s: %w", b.BatchID, err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrTooLarge is returned by Decode when the decompressed body exceeds the limit.
var ErrTooLarge = errors.New("decompressed batch too large")

// Decode reads a batch; gzipped says whether r is gzip-compressed. At most
// maxBytes decompressed bytes are read, so a compression bomb is refused.
// Unknown fields and trailing data are errors.
func Decode(r io.Reader, gzipped bool, maxBytes int64) (*Batch, error) {
	if gzipped {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	lr := &io.LimitedReader{R: r, N: maxBytes + 1}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	var b Batch
	if err := dec.Decode(&b); err != nil {
		if lr.N <= 0 {
			return nil, fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, maxBytes)
		}
		return nil, fmt.Errorf("batch JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if lr.N <= 0 {
			return nil, fmt.Errorf("%w (limit %d bytes)", ErrTooLarge, maxBytes)
		}
		return nil, errors.New("batch JSON: trailing data after the object")
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return &b, nil
}
