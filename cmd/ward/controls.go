package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/db"
	"github.com/wardiomt/ward/internal/risk"
)

func newControlsCmd(g *globalOpts) *cobra.Command {
	var f riskFlags
	var asJSON bool
	c := &cobra.Command{
		Use:   "controls --db DB [--json]",
		Short: "List applied compensating controls; apply or remove one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := db.Open(cmd.Context(), f.dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			st, err := risk.OpenStore(cmd.Context(), d)
			if err != nil {
				return err
			}
			cs, err := st.Controls(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, cs)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ACTION\tKIND\tFINDINGS\tAPPLIED\tNOTE")
			for _, c := range cs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", c.ActionID, c.Kind, len(c.Findings), c.AppliedAt.Format(time.RFC3339), c.Note)
			}
			return tw.Flush()
		},
	}
	f.add(c)
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output")

	var af riskFlags
	var note string
	apply := &cobra.Command{
		Use:   "apply --db DB ACTION_ID...",
		Short: "Record plan actions as applied compensating controls (they lower the residual risk of their findings)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, _, err := af.run(cmd.Context(), g.logger())
			if err != nil {
				return err
			}
			defer r.closer()
			for _, id := range args {
				var found *risk.Action
				for i := range r.Plan.Actions {
					if r.Plan.Actions[i].ID == id {
						found = &r.Plan.Actions[i]
					}
				}
				if found == nil {
					return fmt.Errorf("no action %s in the current plan (see `ward plan`)", id)
				}
				if err := r.store.Apply(cmd.Context(), risk.Control{ActionID: found.ID, Kind: found.Kind, Service: found.ServiceKey, Findings: found.Findings, AppliedAt: time.Now().UTC(), Note: note}); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "applied %s: %s (%d finding(s))\n", found.ID, found.Title, len(found.Findings))
			}
			return nil
		},
	}
	af.add(apply)
	apply.Flags().StringVar(&note, "note", "", "who applied it, ticket, date")

	var rf riskFlags
	remove := &cobra.Command{
		Use:   "remove --db DB ACTION_ID...",
		Short: "Forget applied controls",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := db.Open(cmd.Context(), rf.dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			st, err := risk.OpenStore(cmd.Context(), d)
			if err != nil {
				return err
			}
			for _, id := range args {
				ok, err := st.Remove(cmd.Context(), id)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("no applied control %s", id)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", id)
			}
			return nil
		},
	}
	rf.add(remove)
	c.AddCommand(apply, remove)
	return c
}
