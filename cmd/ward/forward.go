package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/inventory/sqlstore"
	"github.com/wardiomt/ward/internal/siem"
	"github.com/wardiomt/ward/internal/threat"
)

// newAlertsForwardCmd sends alerts (and optionally change events) to a SIEM:
// syslog RFC 5424 with CEF or JSON, and/or a signed webhook.
func newAlertsForwardCmd(g *globalOpts, dsn *string) *cobra.Command {
	var syslogURL, format, webhook, secretFile, site, since string
	var events bool
	cmd := &cobra.Command{
		Use:   "forward --db DB (--syslog udp|tcp|tls://HOST:PORT | --webhook URL --secret-file F) [--since 24h] [--events]",
		Short: "Send alerts (and change events) to a SIEM: syslog CEF/JSON or a signed webhook",
		Long: `Sends the alerts raised since --since (a duration back from now, or an RFC 3339 time) and, with
--events, the inventory change events of the same period. Run it from cron or a timer after ingests;
each event carries its own id, so a SIEM can drop repeats when periods overlap.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if syslogURL == "" && webhook == "" {
				return errors.New("give --syslog, --webhook, or both")
			}
			from, err := parseSince(since, time.Now())
			if err != nil {
				return err
			}
			d, ts, err := openThreat(ctx, *dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			as, err := ts.ListAlerts(ctx, threat.AlertFilter{Site: site, Since: from, State: "open"})
			if err != nil {
				return err
			}
			var evs []siem.Event
			for _, a := range as {
				evs = append(evs, siem.FromAlert(a))
			}
			if events {
				st, err := sqlstore.Open(ctx, d)
				if err != nil {
					return err
				}
				ch, err := st.ListEvents(ctx, inventory.EventFilter{Site: site, Since: from})
				if err != nil {
					return err
				}
				for _, c := range ch {
					evs = append(evs, siem.FromChange(c))
				}
			}
			if syslogURL != "" {
				u, err := url.Parse(syslogURL)
				if err != nil || u.Host == "" {
					return fmt.Errorf("--syslog %q: want udp://, tcp:// or tls://HOST:PORT", syslogURL)
				}
				s, err := siem.NewSyslog(siem.SyslogConfig{Network: u.Scheme, Address: u.Host, Format: siem.Format(format), Version: version})
				if err != nil {
					return err
				}
				defer s.Close()
				if err := s.Send(ctx, evs...); err != nil {
					return fmt.Errorf("syslog %s: %w", syslogURL, err)
				}
			}
			if webhook != "" {
				secret, err := os.ReadFile(secretFile)
				if err != nil {
					return fmt.Errorf("--secret-file: %w", err)
				}
				w := &siem.Webhook{URL: webhook, Secret: []byte(strings.TrimSpace(string(secret)))}
				if len(evs) > 0 {
					if err := w.Send(ctx, evs...); err != nil {
						return fmt.Errorf("webhook %s: %w", webhook, err)
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "forwarded: %d events (%d alerts)\n", len(evs), len(as))
			return nil
		},
	}
	cmd.Flags().StringVar(&syslogURL, "syslog", "", "syslog receiver: udp://, tcp:// or tls://HOST:PORT")
	cmd.Flags().StringVar(&format, "format", string(siem.FormatCEF), "syslog message body: cef or json")
	cmd.Flags().StringVar(&webhook, "webhook", "", "webhook URL (HMAC-SHA256 signed)")
	cmd.Flags().StringVar(&secretFile, "secret-file", "", "file holding the webhook's shared secret")
	cmd.Flags().StringVar(&site, "site", "", "only this site")
	cmd.Flags().StringVar(&since, "since", "24h", "how far back: a duration or an RFC 3339 time")
	cmd.Flags().BoolVar(&events, "events", false, "also send inventory change events")
	return cmd
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a duration (24h) or an RFC 3339 time", s)
}
