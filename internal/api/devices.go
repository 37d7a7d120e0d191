package api

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/vuln"
)

var deviceSorts = []string{"id", "mac", "ip", "hostname", "manufacturer", "model", "version", "type", "criticality", "location", "first_seen", "last_seen"}

var deviceParams = []Param{
	{"q", "string", "substring of id, MAC, IP, hostname, manufacturer or model"},
	{"site", "string", "only this site"},
	{"type", "string", "device type"},
	{"manufacturer", "string", "canonical manufacturer"},
	{"criticality", "string", "criticality"},
	{"silent", "boolean", "only silent (true) or active (false) devices"},
	{"sort", "string", "sort field: " + strings.Join(deviceSorts, ", ") + "; '-' prefix for descending (last_seen orders at a one-minute resolution, ties by id)"},
}

func (a *API) deviceFilter(r *http.Request, p auth.Principal) (inventory.DeviceFilter, []string, page, error) {
	q := r.URL.Query()
	if err := checkLen(q, "q", "site", "type", "manufacturer", "criticality"); err != nil {
		return inventory.DeviceFilter{}, nil, page{}, err
	}
	pg, err := parsePage(q, deviceSorts, "id")
	if err != nil {
		return inventory.DeviceFilter{}, nil, pg, err
	}
	silent, err := parseBool(q, "silent")
	if err != nil {
		return inventory.DeviceFilter{}, nil, pg, err
	}
	sites, err := a.scope(r.Context(), p, q.Get("site"))
	if err != nil {
		return inventory.DeviceFilter{}, nil, pg, err
	}
	f := inventory.DeviceFilter{Query: q.Get("q"), Type: q.Get("type"), Manufacturer: q.Get("manufacturer"),
		Criticality: q.Get("criticality"), Silent: silent, Sort: pg.sort}
	return f, sites, pg, nil
}

// listDevices pages devices across sites. The inventory merges the sites
// in one query (each site walks its own index for at most offset+limit
// rows), so only the page's devices are read and decoded.
func (a *API) listDevices(ctx context.Context, f inventory.DeviceFilter, sites []string, pg page) ([]*inventory.Device, int, error) {
	switch len(sites) {
	case 0:
		return nil, 0, nil
	case 1:
		f.Site, f.Limit, f.Offset = sites[0], pg.limit, pg.offset
		return a.cfg.Inventory.Devices(ctx, f)
	}
	if need := pg.offset + pg.limit; need > a.cfg.maxDeviceMerge {
		return nil, 0, errorf(http.StatusBadRequest, "offset too deep across %d sites (limit+offset at most %d); filter by site", len(sites), a.cfg.maxDeviceMerge)
	}
	f.Sites, f.Limit, f.Offset = sites, pg.limit, pg.offset
	return a.cfg.Inventory.Devices(ctx, f)
}

// sortDevices orders like the inventory store: the field (absent values
// last), then id.
func sortDevices(devs []*inventory.Device, sortBy string) {
	desc := strings.HasPrefix(sortBy, "-")
	field := strings.TrimPrefix(sortBy, "-")
	key := func(d *inventory.Device) (string, bool) {
		switch field {
		case "mac":
			return d.MAC, d.MAC != ""
		case "ip":
			return d.IP(), d.IP() != ""
		case "hostname":
			v := d.Attr(fingerprint.Hostname)
			return v, v != ""
		case "manufacturer":
			v := d.Attr(fingerprint.Manufacturer)
			return v, v != ""
		case "model":
			v := d.Attr(fingerprint.Model)
			return v, v != ""
		case "version":
			v := d.Attr(fingerprint.Version)
			return v, v != ""
		case "type":
			v := d.Attr(fingerprint.DeviceType)
			return v, v != ""
		case "criticality":
			v := d.Criticality()
			return v, v != ""
		case "location":
			return d.Location, d.Location != ""
		case "first_seen":
			return strconv.FormatInt(d.FirstSeen.UnixNano(), 10), true
		case "last_seen":
			return strconv.FormatInt(d.LastSeen.UnixNano(), 10), true
		}
		return d.ID, true
	}
	numeric := field == "first_seen" || field == "last_seen"
	slices.SortStableFunc(devs, func(x, y *inventory.Device) int {
		kx, okx := key(x)
		ky, oky := key(y)
		if okx != oky {
			if okx {
				return -1
			}
			return 1
		}
		var c int
		if numeric {
			ix, _ := strconv.ParseInt(kx, 10, 64)
			iy, _ := strconv.ParseInt(ky, 10, 64)
			c = cmp.Compare(ix, iy)
		} else {
			c = strings.Compare(kx, ky)
		}
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
}

func (a *API) handleDevices(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f, sites, pg, err := a.deviceFilter(r, p)
	if err != nil {
		return err
	}
	devs, total, err := a.listDevices(r.Context(), f, sites, pg)
	if err != nil {
		return err
	}
	items := make([]inventory.Summary, 0, len(devs))
	for _, d := range devs {
		items = append(items, d.Summarize())
	}
	writeJSON(w, http.StatusOK, listResponse{Items: items, Total: total, Limit: pg.limit, Offset: pg.offset})
	return nil
}

// csvMaxRows bounds one export.
const csvMaxRows = 200_000

func (a *API) handleDevicesCSV(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	f, sites, pg, err := a.deviceFilter(r, p)
	if err != nil {
		return err
	}
	var rows []*inventory.Device
	for _, s := range sites {
		f.Site, f.Limit, f.Offset = s, csvMaxRows, 0
		devs, _, err := a.cfg.Inventory.Devices(r.Context(), f)
		if err != nil {
			return err
		}
		rows = append(rows, devs...)
	}
	if len(sites) > 1 {
		sortDevices(rows, pg.sort)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ward-devices.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "site", "mac", "ips", "manufacturer", "model", "version", "serial", "type", "criticality",
		"os", "hostname", "location", "services", "first_seen", "last_seen"})
	for _, d := range rows {
		s := d.Summarize()
		var svcs []string
		for _, sp := range s.Services {
			svcs = append(svcs, sp.Transport+"/"+strconv.Itoa(int(sp.Port)))
		}
		_ = cw.Write([]string{s.ID, s.Site, csvSafe(deref(s.MAC)), csvSafe(strings.Join(s.IPs, " ")), csvSafe(deref(s.Manufacturer)),
			csvSafe(deref(s.Model)), csvSafe(deref(s.Version)), csvSafe(deref(s.Serial)), csvSafe(deref(s.Type)), csvSafe(deref(s.Criticality)),
			csvSafe(deref(s.OS)), csvSafe(deref(s.Hostname)), csvSafe(deref(s.Location)), strings.Join(svcs, " "),
			s.FirstSeen.UTC().Format(time.RFC3339), s.LastSeen.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
	return nil
}

// csvSafe defuses spreadsheet formulas: hostnames and models come from the
// network, so an attacker could name a device "=HYPERLINK(...)".
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// DeviceDetail is GET /api/v1/devices/{id}: the summary plus everything the
// device page shows.
type DeviceDetail struct {
	inventory.Summary
	Identity     identity.Identity        `json:"identity"`
	Addresses    []inventory.IPRecord     `json:"addresses"`
	Services     []inventory.ServicePort  `json:"services"`
	Protocols    []inventory.ProtocolSeen `json:"protocols"`
	AETitles     []string                 `json:"ae_titles"`
	SwitchPort   string                   `json:"switch_port,omitempty"`
	Subnet       string                   `json:"subnet,omitempty"`
	LocationFrom string                   `json:"location_from,omitempty"`
	Signals      []inventory.Signal       `json:"signals"`
	Contacts     []inventory.Contact      `json:"contacts"`
	External     []inventory.External     `json:"external"`
	Utilization  []inventory.DayUse       `json:"utilization"`
	Observations int64                    `json:"observations"`
	Events       []inventory.Event        `json:"events"`
	Findings     []vuln.Finding           `json:"findings"`
	Actions      []Action                 `json:"actions"`
}

// Action is a recommended remediation step for a device.
type Action struct {
	Advisory string  `json:"advisory"`
	Category string  `json:"category"`
	Text     string  `json:"text"`
	URL      string  `json:"url,omitempty"`
	KEV      bool    `json:"kev"`
	CVSS     float64 `json:"cvss"`
}

// device loads a device the caller may see. Devices of other organizations
// are reported as not found, like nonexistent ones.
func (a *API) device(ctx context.Context, p auth.Principal, id string) (*inventory.Device, error) {
	if id == "" || len(id) > 256 {
		return nil, errorf(http.StatusBadRequest, "device id must be 1-256 characters")
	}
	d, err := a.cfg.Inventory.Device(ctx, id)
	if errors.Is(err, inventory.ErrNotFound) {
		return nil, errorf(http.StatusNotFound, "device %q not found", id)
	}
	if err != nil {
		return nil, err
	}
	org, err := a.cfg.Auth.SiteOrg(ctx, d.Site)
	if errors.Is(err, auth.ErrNotFound) || (err == nil && org != p.Org) {
		return nil, errorf(http.StatusNotFound, "device %q not found", id)
	}
	return d, err
}

func (a *API) handleDevice(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	ctx := r.Context()
	d, err := a.device(ctx, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	evs, err := a.cfg.Inventory.Events(ctx, inventory.EventFilter{DeviceID: d.ID})
	if err != nil {
		return err
	}
	fs, err := a.match(ctx, []*inventory.Device{d})
	if err != nil {
		return err
	}
	out := DeviceDetail{
		Summary: d.Summarize(), Identity: d.Identity, Addresses: nonNil(d.IPs), Services: nonNil(d.Services),
		Protocols: nonNil(d.Protocols), AETitles: nonNil(d.AETitles), SwitchPort: d.SwitchPort, Subnet: d.Subnet,
		LocationFrom: d.LocationFrom, Signals: nonNil(d.Signals), Contacts: nonNil(d.Contacts), External: nonNil(d.External),
		Utilization: nonNil(d.Utilization), Observations: d.Observations, Events: nonNil(evs), Findings: nonNil(fs),
		Actions: actions(fs),
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// actions lists remediation steps of a device's findings, most urgent first
// (KEV, then CVSS), one per advisory and category.
func actions(fs []vuln.Finding) []Action {
	out := []Action{}
	seen := map[string]bool{}
	for _, f := range fs {
		for _, rem := range f.Remediations {
			k := f.Advisory + "|" + rem.Category
			if seen[k] || strings.TrimSpace(rem.Text) == "" {
				continue
			}
			seen[k] = true
			out = append(out, Action{Advisory: f.Advisory, Category: rem.Category, Text: rem.Text, URL: rem.URL, KEV: f.KEV, CVSS: f.MaxCVSS()})
		}
	}
	slices.SortStableFunc(out, func(x, y Action) int {
		if x.KEV != y.KEV {
			if x.KEV {
				return -1
			}
			return 1
		}
		return cmp.Compare(y.CVSS, x.CVSS)
	})
	return out
}

// match returns the findings (not_affected left out) of devs.
func (a *API) match(ctx context.Context, devs []*inventory.Device) ([]vuln.Finding, error) {
	if a.cfg.Matcher == nil || len(devs) == 0 {
		return nil, nil
	}
	in := make([]vuln.Device, 0, len(devs))
	for _, d := range devs {
		in = append(in, vuln.FromInventory(d))
	}
	fs, err := a.cfg.Matcher.Match(ctx, in)
	if err != nil {
		return nil, err
	}
	kept := fs[:0]
	for _, f := range fs {
		if f.Status != vuln.NotAffected {
			kept = append(kept, f)
		}
	}
	return kept, nil
}
