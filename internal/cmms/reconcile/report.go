package reconcile

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// CSVHeader is the header of WriteCSV: one row per decision.
var CSVHeader = []string{"status", "row", "asset_tag", "device_id", "matched_by", "field", "cmms", "network", "suggested_update", "evidence", "reason"}

// WriteCSV writes one row per match (plus one per mismatch), unmanaged
// device and ghost asset.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(CSVHeader)
	for _, m := range r.Matched {
		row := strconv.Itoa(m.Asset.Row)
		reason := strings.Join(m.Reasons, "; ")
		if len(m.Mismatches) == 0 {
			_ = cw.Write([]string{"matched", row, m.Asset.AssetTag, m.Device.ID, m.By, "", "", "", "", "", reason})
		}
		for _, x := range m.Mismatches {
			_ = cw.Write([]string{"mismatch", row, m.Asset.AssetTag, m.Device.ID, m.By, x.Field, x.CMMS, x.Network, x.Suggested, x.Evidence, reason})
		}
	}
	for _, u := range r.Unmanaged {
		_ = cw.Write([]string{"unmanaged", "", "", u.Device.ID, "", "", "", "", "add the device to the CMMS", deviceSummary(u.Device), u.Reason})
	}
	for _, g := range r.Ghosts {
		_ = cw.Write([]string{"ghost", strconv.Itoa(g.Asset.Row), g.Asset.AssetTag, "", "", "", "", "", "verify the asset is still in service", "", g.Reason})
	}
	cw.Flush()
	return cw.Error()
}

func deviceSummary(d DeviceView) string {
	var parts []string
	for _, p := range []string{d.Manufacturer, d.Model, d.Serial} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(d.MACs) > 0 {
		parts = append(parts, d.MACs[0])
	}
	if len(d.IPs) > 0 {
		parts = append(parts, d.IPs[0])
	}
	if d.Location != "" {
		parts = append(parts, "at "+d.Location)
	}
	return strings.Join(parts, " ")
}

// WriteText writes a report for people.
func (r *Report) WriteText(w io.Writer) error {
	s := r.Summary
	by := make([]string, 0, len(s.MatchedBy))
	for k, v := range s.MatchedBy {
		by = append(by, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(by)
	fmt.Fprintf(w, "%d CMMS assets, %d devices on the network\n", s.Assets, s.Devices)
	fmt.Fprintf(w, "matched %d (%s), %d with mismatched fields; unmanaged %d; ghosts %d\n", s.Matched, strings.Join(by, ", "), s.Mismatched, s.Unmanaged, s.Ghosts)
	if len(r.Matched) > 0 {
		fmt.Fprintln(w, "\nMATCHED")
	}
	for _, m := range r.Matched {
		fmt.Fprintf(w, "row %d %s -> %s by %s\n", m.Asset.Row, orDash(m.Asset.AssetTag), m.Device.ID, m.By)
		for _, x := range m.Reasons {
			fmt.Fprintf(w, "    why: %s\n", x)
		}
		for _, x := range m.Mismatches {
			fmt.Fprintf(w, "    %s: CMMS %q, network %q -> %s\n        evidence: %s\n", x.Field, x.CMMS, x.Network, x.Suggested, x.Evidence)
		}
	}
	if len(r.Unmanaged) > 0 {
		fmt.Fprintln(w, "\nUNMANAGED (on the network, not in the CMMS)")
	}
	for _, u := range r.Unmanaged {
		fmt.Fprintf(w, "%s  %s\n    why: %s\n", u.Device.ID, deviceSummary(u.Device), u.Reason)
	}
	if len(r.Ghosts) > 0 {
		fmt.Fprintln(w, "\nGHOSTS (in the CMMS, never seen)")
	}
	for _, g := range r.Ghosts {
		fmt.Fprintf(w, "row %d %s  %s %s %s\n    why: %s\n", g.Asset.Row, orDash(g.Asset.AssetTag), g.Asset.Manufacturer, g.Asset.Model, g.Asset.Serial, g.Reason)
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nWARNINGS")
	}
	for _, x := range r.Warnings {
		fmt.Fprintln(w, x)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
