package main

import (
	"io"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// globalOpts holds flags every subcommand shares.
type globalOpts struct {
	logLevel   string
	cpuProfile string
	memProfile string
	stderr     io.Writer // the command's stderr, so tests see the logs too
}

func (g *globalOpts) logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(g.logLevel)); err != nil {
		lvl = slog.LevelInfo
	}
	w := g.stderr
	if w == nil {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}

func newRootCmd() *cobra.Command {
	g := &globalOpts{}
	root := &cobra.Command{
		Use:           "ward",
		Short:         "Passive IoMT security: inventory, vulnerabilities, risk and procurement",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentFlags().StringVar(&g.memProfile, "memprofile", "", "write an allocation profile to this file")
	_ = root.PersistentFlags().MarkHidden("memprofile")
	var stopProfile func()
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		g.stderr = cmd.ErrOrStderr()
		if g.cpuProfile == "" {
			return nil
		}
		f, err := os.Create(g.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProfile != nil {
			stopProfile()
		}
		if g.memProfile != "" {
			if f, err := os.Create(g.memProfile); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
	}
	// Each subcommand lives in its own file as newXxxCmd(g).
	root.AddCommand(
		newVersionCmd(),
		newFeedsCmd(g),
		newLookupCmd(g),
		newVulnsCmd(g),
		newSimulateCmd(g),
		newObserveCmd(g),
		newCaptureCmd(g),
		newFingerprintCmd(g),
		newIngestCmd(g),
		newDevicesCmd(g),
		newDeviceCmd(g),
		newEventsCmd(g),
		newCmmsCmd(g),
		newServeCmd(g),
		newTokenCmd(g),
		newSensorCmd(g),
		newDemoCmd(g),
		newRisksCmd(g),
		newPlanCmd(g),
		newControlsCmd(g),
		newAlertsCmd(g),
		newBaselineCmd(g),
		newAssessCmd(g),
		newExportCmd(g),
	)
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print Ward's version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmd.Println("ward", version)
			return nil
		},
	}
}

var version = "0.1.0-dev"
