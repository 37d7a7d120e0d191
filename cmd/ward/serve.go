package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/api"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/server"
	"github.com/wardiomt/ward/internal/web"
)

// serveFlags are the flags of `ward serve`.
type serveFlags struct {
	dsn, addr, cert, key, rules, config string
	secureCookies                       bool
	noAlerts                            bool
}

func newServeCmd(g *globalOpts) *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --db DB [--addr :8080] [--tls-cert FILE --tls-key FILE]",
		Short: "Serve the web UI and the REST API; receive remote sensor uploads",
		Long: `Serves the web UI, the REST API (/api/v1, described at /api/openapi.json), remote sensor
uploads, /healthz, /readyz and Prometheus /metrics. Create the first admin token with
'ward token create --db DB --org ORG --role admin'. SIGINT/SIGTERM shut down gracefully.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (f.cert == "") != (f.key == "") {
				return errors.New("--tls-cert and --tls-key go together")
			}
			log := g.logger()
			ctx := cmd.Context()
			d, err := db.Open(ctx, f.dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			opt, err := inventoryOptions(f.config)
			if err != nil {
				return err
			}
			st, err := server.NewStack(ctx, d, server.StackOptions{Inventory: opt, RulesDir: f.rules, Logger: log, NoAlerts: f.noAlerts,
				API: api.Config{SecureCookies: f.secureCookies}})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", f.addr)
			if err != nil {
				return err
			}
			scheme := "http"
			if f.cert != "" {
				scheme = "https"
			}
			log.Info("serving", "url", scheme+"://"+ln.Addr().String(), "db", d.Dialect.String(), "vuln_data", st.Origin.Kind)
			return serve(ctx, st, d, ln, f.cert, f.key, log)
		},
	}
	cmd.Flags().StringVar(&f.dsn, "db", "", "database: a SQLite file path or a postgres:// URL (required)")
	cmd.Flags().StringVar(&f.addr, "addr", ":8080", "listen address")
	cmd.Flags().StringVar(&f.cert, "tls-cert", "", "TLS certificate (PEM)")
	cmd.Flags().StringVar(&f.key, "tls-key", "", "TLS private key (PEM)")
	cmd.Flags().StringVar(&f.rules, "rules", "", "directory of site fingerprint rules (*.yaml)")
	cmd.Flags().BoolVar(&f.noAlerts, "no-alerts", false, "do not baseline uploaded batches with the threat engine (saves CPU on small sensors' servers)")
	cmd.Flags().StringVar(&f.config, "config", "", "Ward config file (YAML); its `locations:` map subnets to location names")
	cmd.Flags().BoolVar(&f.secureCookies, "secure-cookies", false, "mark session cookies Secure (behind a TLS-terminating proxy)")
	_ = cmd.MarkFlagRequired("db")
	return cmd
}

func inventoryOptions(config string) (inventory.Options, error) {
	opt := inventory.DefaultOptions()
	if config == "" {
		return opt, nil
	}
	cf, err := os.Open(config)
	if err != nil {
		return opt, fmt.Errorf("config: %w", err)
	}
	defer cf.Close()
	if opt.Locations, err = inventory.LoadLocations(cf); err != nil {
		return opt, fmt.Errorf("%s: %w", config, err)
	}
	return opt, nil
}

// serve runs the HTTP server on ln until ctx ends.
func serve(ctx context.Context, st *server.Stack, d *db.DB, ln net.Listener, cert, key string, log *slog.Logger) error {
	cfg := server.Config{API: st.API, Web: web.Handler(), DB: d, Registry: prometheus.NewRegistry(), Logger: log}
	h, err := server.Handler(cfg)
	if err != nil {
		return err
	}
	err = server.New(cfg, h).Serve(ctx, ln, cert, key)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
