package cmms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/wardiomt/ward/internal/cmms/reconcile"
	"github.com/wardiomt/ward/internal/inventory"
)

// OutboxService is what the HTTP handlers need of the outbox (*Outbox).
type OutboxService interface {
	List(ctx context.Context, f Filter) ([]Delivery, error)
	Retry(ctx context.Context, id int64) error
	Links(ctx context.Context, site string) (map[string]string, error)
	Link(ctx context.Context, site, deviceID, assetTag string) error
}

// DeviceLister lists devices (*inventory.Service).
type DeviceLister interface {
	Devices(ctx context.Context, f inventory.DeviceFilter) ([]*inventory.Device, int, error)
}

// Handler serves the CMMS routes: the outbox, manual retry and
// reconciliation uploads. Mount it with ServeHTTP (its patterns start with
// Prefix) or register Routes one by one behind the server's auth.
type Handler struct {
	Outbox    OutboxService
	Devices   DeviceLister
	Logger    *slog.Logger
	Prefix    string                      // default "/api/v1/cmms"
	MaxUpload int64                       // reconcile body limit (default 32 MiB)
	Canon     func(string) (string, bool) // manufacturer canonicaliser; nil compares spellings
	mux       *http.ServeMux
}

// Route is one endpoint: Write routes change state (retry, reconcile with
// ?link=true) and need an operator role.
type Route struct {
	Method, Pattern string
	Write           bool
	Handle          http.HandlerFunc
}

// Routes lists the endpoints with their full patterns.
func (h *Handler) Routes() []Route {
	p := h.Prefix
	if p == "" {
		p = "/api/v1/cmms"
	}
	return []Route{
		{http.MethodGet, p + "/outbox", false, h.ListOutbox},
		{http.MethodPost, p + "/outbox/{id}/retry", true, h.RetryDelivery},
		{http.MethodPost, p + "/reconcile", true, h.Reconcile},
	}
}

// ServeHTTP routes to the handlers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.mux == nil {
		mux := http.NewServeMux()
		for _, rt := range h.Routes() {
			mux.HandleFunc(rt.Method+" "+rt.Pattern, rt.Handle)
		}
		h.mux = mux
	}
	h.mux.ServeHTTP(w, r)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// ListOutbox answers GET .../outbox?status=dead&connector=&device=&limit=.
func (h *Handler) ListOutbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := Filter{Status: q.Get("status"), Connector: q.Get("connector"), DeviceID: q.Get("device")}
	switch f.Status {
	case "", StatusPending, StatusDelivered, StatusDead:
	default:
		writeErr(w, http.StatusBadRequest, "status must be pending, delivered or dead")
		return
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 10000 {
			writeErr(w, http.StatusBadRequest, "limit must be 1..10000")
			return
		}
		f.Limit = n
	}
	ds, err := h.Outbox.List(r.Context(), f)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": ds})
}

// RetryDelivery answers POST .../outbox/{id}/retry.
func (h *Handler) RetryDelivery(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "bad delivery id")
		return
	}
	switch err := h.Outbox.Retry(r.Context(), id); {
	case errors.Is(err, ErrNotFound):
		writeErr(w, http.StatusNotFound, err.Error())
	case err != nil && strings.Contains(err.Error(), "already"):
		writeErr(w, http.StatusConflict, err.Error())
	case err != nil:
		h.fail(w, err)
	default:
		writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "status": StatusPending})
	}
}

// Reconcile answers POST .../reconcile?site=&format=json|csv&link=true with
// a CMMS export as the body: CSV (text/csv) or a FHIR Bundle (JSON). Query
// parameters map.<field>=<heading> override column recognition. link=true
// saves the matched asset tags so later deliveries carry them.
func (h *Handler) Reconcile(w http.ResponseWriter, r *http.Request) {
	limit := h.MaxUpload
	if limit <= 0 {
		limit = 32 << 20
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		writeErr(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	q := r.URL.Query()
	m := reconcile.Mapping{}
	for k, v := range q {
		if f, ok := strings.CutPrefix(k, "map."); ok && len(v) > 0 {
			m[f] = v[0]
		}
	}
	rep, err := Reconcile(r.Context(), h.Devices, h.Outbox, q.Get("site"), bytes.NewReader(body), m, h.Canon)
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	if q.Get("link") == "true" {
		if err := SaveLinks(r.Context(), h.Outbox, rep); err != nil {
			h.fail(w, err)
			return
		}
	}
	if q.Get("format") == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_ = rep.WriteCSV(w)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	if h.Logger != nil {
		h.Logger.Error("cmms api", "err", err)
	}
	writeErr(w, http.StatusInternalServerError, "internal error")
}

// Linker reads and saves asset tag links (*Outbox).
type Linker interface {
	Links(ctx context.Context, site string) (map[string]string, error)
	Link(ctx context.Context, site, deviceID, assetTag string) error
}

// Reconcile reads a CMMS export (a FHIR Bundle when it starts with '{',
// else CSV) and reconciles it with the devices of site ("" = all), using
// saved links. Shared by the CLI and the API.
func Reconcile(ctx context.Context, devs DeviceLister, links Linker, site string, in io.Reader, m reconcile.Mapping, canonical func(string) (string, bool)) (*reconcile.Report, error) {
	raw, err := io.ReadAll(in)
	if err != nil {
		return nil, err
	}
	var assets []reconcile.Asset
	var warns []string
	if t := bytes.TrimSpace(bytes.TrimPrefix(raw, []byte("\ufeff"))); len(t) > 0 && t[0] == '{' {
		assets, err = reconcile.ReadFHIR(bytes.NewReader(t))
	} else {
		assets, warns, err = reconcile.ReadCSV(bytes.NewReader(raw), m)
	}
	if err != nil {
		return nil, err
	}
	ds, _, err := devs.Devices(ctx, inventory.DeviceFilter{Site: site})
	if err != nil {
		return nil, fmt.Errorf("cmms reconcile: devices: %w", err)
	}
	opt := reconcile.Options{Manufacturer: canonical}
	if links != nil {
		if opt.AssetTags, err = links.Links(ctx, site); err != nil {
			return nil, err
		}
	}
	rep := reconcile.Reconcile(assets, ds, opt)
	rep.Warnings = append(warns, rep.Warnings...)
	return rep, nil
}

// SaveLinks stores the asset tag of every matched asset that has one.
func SaveLinks(ctx context.Context, l Linker, rep *reconcile.Report) error {
	for _, m := range rep.Matched {
		if m.Asset.AssetTag == "" {
			continue
		}
		if err := l.Link(ctx, m.Device.Site, m.Device.ID, m.Asset.AssetTag); err != nil {
			return err
		}
	}
	return nil
}
