package cmms

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// CSVFile appends one row per change to a CSV file a CMMS imports: the mapped
// columns, then the event and its idempotency key (a replay after a crash
// repeats a row with the same key; importers keep the last row per key).
type CSVFile struct {
	name, path string
	fields     []Field
	mu         sync.Mutex
}

// NewCSVFile builds the connector.
func NewCSVFile(cc ConnectorConfig) *CSVFile {
	c := &CSVFile{name: cc.Name, path: cc.Path, fields: cc.Fields}
	if len(c.fields) == 0 {
		c.fields = CSVFields
	}
	return c
}

// Name returns the connector name.
func (c *CSVFile) Name() string { return c.name }

// MaxBatch lets a whole round go in one append.
func (c *CSVFile) MaxBatch() int { return 500 }

// Send appends the rows and syncs the file before reporting success.
func (c *CSVFile) Send(_ context.Context, batch []Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return err
	}
	st, err := os.Stat(c.path)
	fresh := errors.Is(err, os.ErrNotExist) || (err == nil && st.Size() == 0)
	f, err := os.OpenFile(c.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("csv %s: %w", c.path, err)
	}
	w := csv.NewWriter(f)
	if fresh {
		_ = w.Write(append(fieldNames(c.fields), "Event", "Event Time", "Idempotency Key"))
	}
	for _, m := range batch {
		row := make([]string, 0, len(c.fields)+3)
		for _, kv := range m.Device.Map(c.fields) {
			row = append(row, kv.Value)
		}
		_ = w.Write(append(row, string(m.Event.Type), ts(m.Event.Time), m.Key))
	}
	w.Flush()
	return closeSync(f, w.Error())
}

func fieldNames(fs []Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

func closeSync(f *os.File, err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// WriteCSV writes records as a CMMS import file with the given mapping
// (CSVFields when nil): the whole-inventory export.
func WriteCSV(w io.Writer, recs []Record, fields []Field) error {
	if fields == nil {
		fields = CSVFields
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(fieldNames(fields))
	for _, r := range recs {
		row := make([]string, 0, len(fields))
		for _, kv := range r.Map(fields) {
			row = append(row, kv.Value)
		}
		_ = cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
