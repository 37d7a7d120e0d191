// Package report renders pre-procurement assessments (package assess) as
// JSON, Markdown or one self-contained HTML file with inline SVG charts,
// and serves them over HTTP.
package report

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/wardiomt/ward/internal/assess"
)

// Func writes a report in one format.
type Func func(w io.Writer, r *assess.Report) error

// Renderer returns the renderer of format: "md", "html" or "json".
func Renderer(format string) (Func, error) {
	switch strings.ToLower(format) {
	case "md", "markdown", "":
		return Markdown, nil
	case "html":
		return HTML, nil
	case "json":
		return JSON, nil
	}
	return nil, fmt.Errorf("unknown report format %q (md, html or json)", format)
}

// JSON writes the report contract, indented.
func JSON(w io.Writer, r *assess.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Assessor is what the handler needs (assess.Assessor).
type Assessor interface {
	Assess(ctx context.Context, r assess.Request) (*assess.Report, error)
}

// Handler serves GET ?manufacturer=M&model=X, or ?compare=M1/X1&compare=M2/X2,
// with &format=json (default), html or md. Missing candidates are 400; an
// unknown manufacturer is a 200 report whose messages say so.
func Handler(a Assessor, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		var req assess.Request
		req.Site = q.Get("site")
		for _, c := range q["compare"] {
			for _, part := range splitCompare(c) {
				cd, err := assess.ParseCandidate(part)
				if err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				req.Candidates = append(req.Candidates, cd)
			}
		}
		if m := strings.TrimSpace(q.Get("manufacturer")); m != "" {
			req.Candidates = append([]assess.Candidate{{Manufacturer: m, Model: strings.TrimSpace(q.Get("model"))}}, req.Candidates...)
		}
		if len(req.Candidates) == 0 {
			http.Error(w, "manufacturer (or compare=Manufacturer/Model, repeated) is required", http.StatusBadRequest)
			return
		}
		if len(req.Candidates) > 8 {
			http.Error(w, "at most 8 candidates", http.StatusBadRequest)
			return
		}
		format := q.Get("format")
		if format == "" {
			format = "json"
		}
		render, err := Renderer(format)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rep, err := a.Assess(r.Context(), req)
		if err != nil {
			log.ErrorContext(r.Context(), "assess", "err", err)
			http.Error(w, "assessment failed: "+err.Error(), http.StatusInternalServerError)
			return
		}
		switch strings.ToLower(format) {
		case "html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		case "md", "markdown":
			w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		default:
			w.Header().Set("Content-Type", "application/json")
		}
		if err := render(w, rep); err != nil {
			log.ErrorContext(r.Context(), "assess render", "err", err)
		}
	})
}

// splitCompare accepts "M1/X1;M2/X2" as well as repeated parameters.
func splitCompare(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
