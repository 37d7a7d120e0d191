// Package epss reads FIRST's EPSS CSV: an optional
// "#model_version:...,score_date:..." comment line, a "cve,epss,percentile"
// header, then one row per CVE.
package epss

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/vuln"
)

// Meta is what the comment line says.
type Meta struct {
	Model     string
	ScoreDate time.Time
}

var cveRe = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// Decode streams the rows to fn. Any malformed row stops with its line.
func Decode(r io.Reader, fn func(vuln.EPSSScore) error) (Meta, error) {
	var m Meta
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	header := false
	for sc.Scan() {
		line++
		s := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if s == "" {
			continue
		}
		if strings.HasPrefix(s, "#") {
			for kv := range strings.SplitSeq(strings.TrimPrefix(s, "#"), ",") {
				k, v, _ := strings.Cut(kv, ":")
				switch strings.TrimSpace(k) {
				case "model_version":
					m.Model = strings.TrimSpace(v)
				case "score_date":
					t, err := time.Parse("2006-01-02T15:04:05-0700", strings.TrimSpace(v))
					if err != nil {
						t, err = time.Parse(time.RFC3339, strings.TrimSpace(v))
					}
					if err != nil {
						return m, fmt.Errorf("line %d: score_date %q: %w", line, v, err)
					}
					m.ScoreDate = t.UTC()
				}
			}
			continue
		}
		if !header {
			if s != "cve,epss,percentile" {
				return m, fmt.Errorf("line %d: header %q, want cve,epss,percentile", line, s)
			}
			header = true
			continue
		}
		f := strings.Split(s, ",")
		if len(f) != 3 {
			return m, fmt.Errorf("line %d: %d fields, want 3", line, len(f))
		}
		if !cveRe.MatchString(f[0]) {
			return m, fmt.Errorf("line %d: %q is not a CVE id", line, f[0])
		}
		e, err1 := strconv.ParseFloat(f[1], 64)
		p, err2 := strconv.ParseFloat(f[2], 64)
		if err1 != nil || err2 != nil || e < 0 || e > 1 || p < 0 || p > 1 {
			return m, fmt.Errorf("line %d (%s): epss %q / percentile %q must be numbers in 0..1", line, f[0], f[1], f[2])
		}
		if err := fn(vuln.EPSSScore{CVE: f[0], EPSS: e, Percentile: p, Date: m.ScoreDate, Model: m.Model}); err != nil {
			return m, err
		}
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("line %d: %w", line+1, err)
	}
	if !header {
		return m, fmt.Errorf("no cve,epss,percentile header")
	}
	return m, nil
}
