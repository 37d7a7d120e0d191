package threat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reader is what the HTTP handler reads; SQLStore implements it.
type Reader interface {
	ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	FindBaseline(ctx context.Context, deviceID string) (*Baseline, error)
}

var _ Reader = (*SQLStore)(nil)

// BaselineView is a baseline with its learned volume range, as served.
type BaselineView struct {
	*Baseline
	VolumeRange VolumeRange `json:"volume_range"`
}

// Handler serves GET /api/v1/alerts (query: site, device, kind (repeatable),
// severity (minimum), state, since (RFC 3339), limit) and
// GET /api/v1/devices/{id}/baseline.
func Handler(rd Reader, opt Options) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/alerts", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := AlertFilter{Site: q.Get("site"), DeviceID: q.Get("device"), State: q.Get("state"), MinSeverity: Severity(q.Get("severity")), Limit: 500}
		for _, k := range q["kind"] {
			f.Kinds = append(f.Kinds, Kind(k))
		}
		if f.MinSeverity != "" && f.MinSeverity.Level() < 0 {
			httpError(w, http.StatusBadRequest, "severity must be low, medium, high or critical")
			return
		}
		if s := q.Get("since"); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				httpError(w, http.StatusBadRequest, "since: "+err.Error())
				return
			}
			f.Since = t
		}
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 10000 {
				httpError(w, http.StatusBadRequest, "limit must be 1..10000")
				return
			}
			f.Limit = n
		}
		as, err := rd.ListAlerts(r.Context(), f)
		if err != nil {
			httpError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if as == nil {
			as = []Alert{}
		}
		writeJSON(w, map[string]any{"alerts": as, "count": len(as)})
	})
	mux.HandleFunc("GET /api/v1/devices/{id}/baseline", func(w http.ResponseWriter, r *http.Request) {
		b, err := rd.FindBaseline(r.Context(), r.PathValue("id"))
		if errors.Is(err, ErrNoBaseline) {
			httpError(w, http.StatusNotFound, err.Error())
			return
		}
		if err != nil {
			httpError(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, BaselineView{Baseline: b, VolumeRange: b.Volume(opt)})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": strings.TrimSpace(msg)})
}
