package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/fingerprint"
	"github.com/wardiomt/ward/internal/identity"
	"github.com/wardiomt/ward/internal/inventory"
)

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newDevicesCmd(g *globalOpts) *cobra.Command {
	var f invFlags
	var asJSON, asCSV bool
	var filter inventory.DeviceFilter
	cmd := &cobra.Command{
		Use:   "devices --db DB [--json|--csv]",
		Short: "List the device inventory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON && asCSV {
				return errors.New("--json and --csv are exclusive")
			}
			svc, closeDB, err := f.open(cmd.Context(), nil, g.logger())
			if err != nil {
				return err
			}
			defer closeDB()
			if cmd.Flags().Changed("site") {
				filter.Site = f.site
			}
			devs, _, err := svc.Devices(cmd.Context(), filter)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			sums := make([]inventory.Summary, 0, len(devs))
			for _, d := range devs {
				sums = append(sums, d.Summarize())
			}
			switch {
			case asJSON:
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(sums)
			case asCSV:
				return writeDevicesCSV(out, sums)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tMAC\tIP\tMANUFACTURER\tMODEL\tVERSION\tTYPE\tHOSTNAME\tLOCATION\tLAST SEEN")
			for _, s := range sums {
				ip := ""
				if len(s.IPs) > 0 {
					ip = s.IPs[0]
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, orDash(deref(s.MAC)), orDash(ip),
					orDash(deref(s.Manufacturer)), orDash(deref(s.Model)), orDash(deref(s.Version)), orDash(deref(s.Type)),
					orDash(deref(s.Hostname)), orDash(deref(s.Location)), s.LastSeen.UTC().Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the JSON contract (array of devices)")
	cmd.Flags().BoolVar(&asCSV, "csv", false, "print CSV")
	cmd.Flags().StringVar(&filter.Query, "query", "", "substring of id, MAC, IP, hostname, manufacturer or model")
	cmd.Flags().StringVar(&filter.Type, "type", "", "only this device type")
	cmd.Flags().StringVar(&filter.Sort, "sort", "id", "sort column (id, mac, ip, hostname, manufacturer, model, type, criticality, first_seen, last_seen); '-' prefix for descending")
	cmd.Flags().IntVar(&filter.Limit, "limit", 0, "at most this many devices (0: all)")
	cmd.Flags().IntVar(&filter.Offset, "offset", 0, "skip this many devices")
	return cmd
}

func writeDevicesCSV(w io.Writer, sums []inventory.Summary) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "site", "mac", "ips", "manufacturer", "model", "version", "serial", "type", "criticality",
		"os", "hostname", "location", "services", "first_seen", "last_seen"})
	for _, s := range sums {
		var svcs []string
		for _, p := range s.Services {
			svcs = append(svcs, p.Transport+"/"+strconv.Itoa(int(p.Port)))
		}
		_ = cw.Write([]string{s.ID, s.Site, deref(s.MAC), strings.Join(s.IPs, " "), deref(s.Manufacturer), deref(s.Model),
			deref(s.Version), deref(s.Serial), deref(s.Type), deref(s.Criticality), deref(s.OS), deref(s.Hostname),
			deref(s.Location), strings.Join(svcs, " "), s.FirstSeen.UTC().Format(time.RFC3339), s.LastSeen.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
	return cw.Error()
}

func newDeviceCmd(g *globalOpts) *cobra.Command {
	var f invFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "device --db DB ID",
		Short: "Show one device: each attribute with its evidence, addresses, services, contacts and events",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			svc, closeDB, err := f.open(ctx, nil, g.logger())
			if err != nil {
				return err
			}
			defer closeDB()
			d, err := svc.Device(ctx, args[0])
			if errors.Is(err, inventory.ErrNotFound) {
				// Accept a MAC, IP or hostname when it names exactly one device.
				devs, n, lerr := svc.Devices(ctx, inventory.DeviceFilter{Query: args[0], Limit: 2})
				if lerr != nil {
					return lerr
				}
				if n != 1 {
					return fmt.Errorf("%w (%d devices match %q)", err, n, args[0])
				}
				d, err = devs[0], nil
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			evs, err := svc.Events(ctx, inventory.EventFilter{DeviceID: d.ID})
			if err != nil {
				return err
			}
			printDevice(out, d, evs)
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole device record as JSON")
	return cmd
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func printDevice(w io.Writer, d *inventory.Device, evs []inventory.Event) {
	fmt.Fprintf(w, "device %s (site %s)\n", d.ID, d.Site)
	fmt.Fprintf(w, "  mac: %s", orDash(d.MAC))
	if len(d.MACs) > 1 {
		fmt.Fprintf(w, " (all: %s)", strings.Join(d.MACs, ", "))
	}
	if d.RandomMAC {
		fmt.Fprint(w, " [randomized]")
	}
	fmt.Fprintln(w)
	if d.EUI64 != "" {
		fmt.Fprintf(w, "  eui-64: %s", d.EUI64)
		if d.BehindGateway {
			fmt.Fprintf(w, " (known only through gateway %s)", strings.Join(d.Gateways, ", "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  first seen: %s  last seen: %s  observations: %d", ts(d.FirstSeen), ts(d.LastSeen), d.Observations)
	if d.Silent {
		fmt.Fprint(w, "  [silent]")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  criticality: %s  location: %s", orDash(d.Criticality()), orDash(d.Location))
	if d.LocationFrom != "" {
		fmt.Fprintf(w, " (from %s)", d.LocationFrom)
	}
	fmt.Fprintf(w, "  switch port: %s  subnet: %s\n", orDash(d.SwitchPort), orDash(d.Subnet))
	fmt.Fprintln(w, "identity:")
	attrs := append([]fingerprint.Attribute(nil), identity.Attributes...)
	for name := range d.Identity {
		if !containsAttr(attrs, name) {
			attrs = append(attrs, name)
		}
	}
	for _, name := range attrs {
		a := d.Identity[name]
		if a == nil || !a.Known() {
			fmt.Fprintf(w, "  %-12s unknown\n", name)
			if a == nil {
				continue
			}
		} else {
			fmt.Fprintf(w, "  %-12s %q  confidence %.2f\n", name, a.Value, a.Confidence)
		}
		// Candidates are shown even when none is established: a withheld
		// value (an OS build on an appliance) says why by its note.
		for _, c := range a.Candidates {
			mark := "    evidence"
			if c.Value != a.Value {
				mark = fmt.Sprintf("    alternative %q:", c.Value)
			}
			for _, e := range c.Evidence {
				note := ""
				if e.Note != "" {
					note = " [" + e.Note + "]"
				}
				fmt.Fprintf(w, "%s %s %s=%q rule %s%s (conf %.2f, %dx, %s..%s)\n", mark, e.Protocol, e.Field, e.Value, e.Rule, note,
					e.Confidence, e.Count, ts(e.First), ts(e.Last))
			}
		}
	}
	if len(d.IPs) > 0 {
		fmt.Fprintln(w, "addresses:")
		for _, r := range d.IPs {
			fmt.Fprintf(w, "  %-39s %-9s %s..%s\n", r.IP, r.Source, ts(r.First), ts(r.Last))
		}
	}
	if len(d.Services) > 0 {
		fmt.Fprintln(w, "services:")
		for _, s := range d.Services {
			fmt.Fprintf(w, "  %s/%d  seen %dx, last %s, %d peers\n", s.Transport, s.Port, s.Count, ts(s.Last), len(s.Peers))
		}
	}
	if len(d.Protocols) > 0 {
		names := make([]string, 0, len(d.Protocols))
		for _, p := range d.Protocols {
			names = append(names, p.Name)
		}
		sort.Strings(names)
		fmt.Fprintf(w, "protocols: %s\n", strings.Join(names, ", "))
	}
	if len(d.AETitles) > 0 {
		fmt.Fprintf(w, "AE titles: %s\n", strings.Join(d.AETitles, ", "))
	}
	for _, s := range d.Signals {
		fmt.Fprintf(w, "signal: %s (%s %s%s) %dx, last %s\n", s.Name, s.Protocol, s.Field, valueSuffix(s.Value), s.Count, ts(s.Last))
	}
	if len(d.Contacts) > 0 {
		fmt.Fprintf(w, "contacts: %d (public destinations: %d)\n", len(d.Contacts), len(d.External))
	}
	for _, u := range d.Utilization {
		fmt.Fprintf(w, "utilization %s: %d active hours, %d DICOM stores, %d HL7 results\n", u.Day, u.ActiveHours(), u.Stores, u.Results)
	}
	if len(evs) > 0 {
		fmt.Fprintln(w, "events:")
		for _, e := range evs {
			fmt.Fprintf(w, "  %s\n", eventLine(e))
		}
	}
}

func valueSuffix(v string) string {
	if v == "" {
		return ""
	}
	return " " + v
}

func containsAttr(list []fingerprint.Attribute, a fingerprint.Attribute) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func eventLine(e inventory.Event) string {
	s := fmt.Sprintf("%s %-20s %s", ts(e.Time), e.Type, e.DeviceID)
	if e.Attribute != "" {
		s += " " + e.Attribute
	}
	if e.Before != "" || e.After != "" {
		s += fmt.Sprintf(": %s -> %s", orDash(e.Before), orDash(e.After))
	}
	return s
}

func newEventsCmd(g *globalOpts) *cobra.Command {
	var f invFlags
	var asJSON, checkSilent bool
	var since, now string
	cmd := &cobra.Command{
		Use:   "events --db DB [--json] [--check-silent [--now TIME]]",
		Short: "List device change events (new, moved, software_update, configuration_change, silent, returned)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			svc, closeDB, err := f.open(ctx, nil, g.logger())
			if err != nil {
				return err
			}
			defer closeDB()
			if checkSilent {
				at := time.Now()
				if now != "" {
					if at, err = time.Parse(time.RFC3339, now); err != nil {
						return fmt.Errorf("--now: %w", err)
					}
				}
				if _, err := svc.CheckSilent(ctx, f.site, at); err != nil {
					return err
				}
			}
			filter := inventory.EventFilter{}
			if cmd.Flags().Changed("site") {
				filter.Site = f.site
			}
			if since != "" {
				if filter.Since, err = time.Parse(time.RFC3339, since); err != nil {
					return fmt.Errorf("--since: %w", err)
				}
			}
			evs, err := svc.Events(ctx, filter)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if evs == nil {
					evs = []inventory.Event{}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(evs)
			}
			for _, e := range evs {
				fmt.Fprintln(out, eventLine(e))
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&checkSilent, "check-silent", false, "first mark devices unseen for --silent-after as silent")
	cmd.Flags().StringVar(&now, "now", "", "the time --check-silent evaluates at (RFC 3339; default: now)")
	cmd.Flags().StringVar(&since, "since", "", "only events at or after this time (RFC 3339)")
	return cmd
}
