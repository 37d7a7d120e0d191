// Package feeds imports vulnerability feeds (NVD API 2.0, CVE 5, CSAF 2.0,
// CISA KEV, FIRST EPSS, the ICS Advisory Project's table of CISA advisories) into Ward's database, each file in one transaction,
// and serves them back to the matcher as a vuln.Provider. Without loaded
// feeds the bundled snapshot is used.
package feeds

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wardiomt/ward/internal/feeds/csaf"
	"github.com/wardiomt/ward/internal/feeds/cve5"
	"github.com/wardiomt/ward/internal/feeds/epss"
	"github.com/wardiomt/ward/internal/feeds/icsadv"
	"github.com/wardiomt/ward/internal/feeds/kev"
	"github.com/wardiomt/ward/internal/feeds/nvd"
	"github.com/wardiomt/ward/internal/vuln"
)

// Format is a feed file format.
type Format string

// Formats.
const (
	FormatUnknown Format = ""
	FormatNVD     Format = "nvd"
	FormatCVE5    Format = "cve5"
	FormatCSAF    Format = "csaf"
	FormatKEV     Format = "kev"
	FormatEPSS    Format = "epss"
	// FormatICSAdv is the ICS Advisory Project's CSV table of CISA advisories.
	FormatICSAdv Format = "icsadv"
)

// ErrUnknownFormat is returned when content matches no feed format.
var ErrUnknownFormat = errors.New("not a recognised feed format")

// Sniff detects the format from the first bytes of (decompressed) content.
func Sniff(head []byte) Format {
	s := bytes.TrimLeft(head, " \t\r\n\ufeff")
	if len(s) == 0 {
		return FormatUnknown
	}
	if s[0] == '#' || bytes.HasPrefix(s, []byte("cve,epss")) {
		return FormatEPSS
	}
	if icsadv.Sniff(s) {
		return FormatICSAdv
	}
	if s[0] != '{' {
		return FormatUnknown
	}
	has := func(k string) bool { return bytes.Contains(s, []byte(k)) }
	switch {
	case has(`"$schema"`) && has(`"properties"`):
		return FormatUnknown // a JSON Schema describing a feed, not a feed
	case has(`"csaf_version"`):
		return FormatCSAF
	case has(`"catalogVersion"`) && has(`"vulnerabilities"`):
		return FormatKEV
	case has(`"CVE_RECORD"`) || has(`"cveMetadata"`):
		return FormatCVE5
	case has(`"NVD_CVE"`) || has(`"vulnStatus"`) || has(`"sourceIdentifier"`) || (has(`"vulnerabilities"`) && has(`"cve"`)):
		return FormatNVD
	}
	return FormatUnknown
}

// Opened is a feed file ready to decode.
type Opened struct {
	io.Reader
	Format Format
	close  func() error
}

// Close releases the file.
func (o *Opened) Close() error { return o.close() }

// Open opens path, transparently gunzips, and sniffs the format.
func Open(path string) (*Opened, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	o, err := OpenReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	o.close = f.Close
	return o, nil
}

// OpenReader wraps r like Open does.
func OpenReader(r io.Reader) (*Opened, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	var src io.Reader = br
	if m, _ := br.Peek(2); len(m) == 2 && m[0] == 0x1f && m[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		src = zr
	}
	sb := bufio.NewReaderSize(src, 64*1024)
	head, err := sb.Peek(32 * 1024)
	if len(head) == 0 && err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read: %w", err)
	}
	return &Opened{Reader: sb, Format: Sniff(head), close: func() error { return nil }}, nil
}

// Sink receives decoded records; the store implements it inside a transaction.
type Sink interface {
	Advisory(*vuln.Advisory) error
	KEV(vuln.KEVEntry) error
	EPSS(vuln.EPSSScore) error
}

// Summary describes one decoded file.
type Summary struct {
	Path        string `json:"path"`
	Format      Format `json:"format"`
	Records     int    `json:"records"`
	DatasetDate string `json:"dataset_date,omitempty"` // KEV catalog/EPSS score date
	Version     string `json:"version,omitempty"`      // KEV catalog version, EPSS model
}

// Decode decodes one opened feed into sink, counting records.
func Decode(o *Opened, norm *vuln.Normalizer, sink Sink) (Summary, error) {
	s := Summary{Format: o.Format}
	switch o.Format {
	case FormatNVD:
		err := nvd.Decode(o, func(a *vuln.Advisory) error { s.Records++; return sink.Advisory(a) })
		return s, err
	case FormatCVE5:
		a, err := cve5.Decode(o)
		if err != nil {
			return s, err
		}
		s.Records = 1
		return s, sink.Advisory(a)
	case FormatCSAF:
		a, err := csaf.Decode(o, norm)
		if err != nil {
			return s, err
		}
		s.Records = 1
		return s, sink.Advisory(a)
	case FormatICSAdv:
		n, err := icsadv.Decode(o, norm, sink.Advisory)
		s.Records = n
		return s, err
	case FormatKEV:
		c, err := kev.Decode(o, func(e vuln.KEVEntry) error { s.Records++; return sink.KEV(e) })
		s.Version = c.CatalogVersion
		if !c.DateReleased.IsZero() {
			s.DatasetDate = c.DateReleased.UTC().Format("2006-01-02")
		}
		return s, err
	case FormatEPSS:
		m, err := epss.Decode(o, func(e vuln.EPSSScore) error { s.Records++; return sink.EPSS(e) })
		s.Version = m.Model
		if !m.ScoreDate.IsZero() {
			s.DatasetDate = m.ScoreDate.Format("2006-01-02")
		}
		return s, err
	}
	return s, ErrUnknownFormat
}

// Expand turns files and directories into a sorted list of candidate feed
// files (json, csv, optionally .gz). Explicit files are always included.
func Expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			n := strings.TrimSuffix(strings.ToLower(d.Name()), ".gz")
			if d.IsDir() || !(strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".csv")) {
				return nil
			}
			out = append(out, path)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Progress is told about each file; nil is fine.
type Progress func(done, total int, path string)
