package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/decode"
	"github.com/wardiomt/ward/internal/demo"
	"github.com/wardiomt/ward/internal/inventory"
	"github.com/wardiomt/ward/internal/sensor"
	"github.com/wardiomt/ward/internal/server"
)

func newDemoCmd(g *globalOpts) *cobra.Command {
	addr := "127.0.0.1:8080"
	var keep bool
	cmd := &cobra.Command{
		Use:   "demo [--addr HOST:PORT]",
		Short: "Try Ward: a temporary database with the bundled hospital capture, served with the UI and API",
		Long: `Creates a temporary database, ingests the demo hospital capture bundled in this binary,
matches it against the bundled vulnerability snapshot, creates an admin token and serves the web
UI and the API. Open the printed URL and log in with the printed token. Ctrl-C stops the demo and
deletes the database (unless --keep).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := g.logger()
			ctx := cmd.Context()
			start := time.Now()
			dir, err := os.MkdirTemp("", "ward-demo-")
			if err != nil {
				return err
			}
			if !keep {
				defer os.RemoveAll(dir)
			}
			d, err := db.Open(ctx, filepath.Join(dir, "ward.db"))
			if err != nil {
				return err
			}
			defer d.Close()
			st, err := server.NewStack(ctx, d, server.StackOptions{Logger: log})
			if err != nil {
				return err
			}
			const actor = "ward demo"
			if _, err := st.Auth.EnsureOrg(ctx, actor, demo.Org, "Demo Health System"); err != nil {
				return err
			}
			if _, err := st.Auth.CreateSite(ctx, actor, demo.Org, demo.Site, "Demo Hospital"); err != nil {
				return err
			}
			token, _, err := st.Auth.CreateToken(ctx, actor, demo.Org, auth.Admin, "", "demo admin")
			if err != nil {
				return err
			}
			pcap, err := demo.WriteCapture(dir)
			if err != nil {
				return err
			}
			ictx, cancel := context.WithCancel(ctx)
			defer cancel()
			in := &ingester{ctx: ictx, cancel: cancel, svc: st.Inventory, site: demo.Site, size: 5000,
				events: map[inventory.EventType]int{}, start: time.Now()}
			if _, err := sensor.ReadFiles(ictx, []string{pcap}, decode.DefaultConfig(), in, log); err != nil && in.err == nil {
				return fmt.Errorf("demo capture: %w", err)
			}
			in.flush()
			if in.err != nil {
				return in.err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("--addr %s: %w (try --addr 127.0.0.1:0 for any free port)", addr, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Ward demo: %d devices from the bundled hospital capture (%s, ready in %s)\n",
				in.newDevs, st.Origin.Kind+" vulnerability data "+st.Origin.SnapshotDate, time.Since(start).Round(time.Millisecond))
			fmt.Fprintf(out, "url: %s\n", demoURL(ln.Addr()))
			fmt.Fprintf(out, "token: %s\n", token)
			if keep {
				fmt.Fprintf(out, "database: %s\n", filepath.Join(dir, "ward.db"))
			}
			fmt.Fprintln(out, "Press Ctrl-C to stop.")
			return serve(ctx, st, d, ln, "", "", log)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", addr, "listen address")
	cmd.Flags().BoolVar(&keep, "keep", false, "keep the temporary database after exit")
	return cmd
}

// demoURL is a URL a browser on this machine can open.
func demoURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
