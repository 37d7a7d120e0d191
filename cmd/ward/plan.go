package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/risk"
)

func newPlanCmd(g *globalOpts) *cobra.Command {
	var f riskFlags
	var asJSON, asMD bool
	c := &cobra.Command{
		Use:   "plan --db DB [--json|--md]",
		Short: "Remediation plan: actions across devices ranked by risk removed per effort",
		Long: "Proposes actions for the current risks (turn off unused services, allow a service only from\n" +
			"the clients seen using it, block internet destinations, vendor workarounds and fixes,\n" +
			"segmentation, replacement), groups them across fleets, and orders them by risk removed per\n" +
			"effort with the cumulative reduction. Record an accepted action with `ward controls apply`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON && asMD {
				return errors.New("--json and --md are exclusive")
			}
			r, _, err := f.run(cmd.Context(), g.logger())
			if err != nil {
				return err
			}
			defer r.closer()
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				return writeJSON(out, r.Plan)
			case asMD:
				return writePlanMarkdown(out, r.Plan)
			}
			fmt.Fprintf(out, "%s\n\n", r.Plan.Summary)
			for i, s := range r.Plan.Steps {
				a := r.Plan.Actions[i]
				fmt.Fprintf(out, "%2d. %s\n    effort %s; removes %.1f (cumulative %.0f %%); id %s\n    %s\n", s.Rank, a.Title, a.Effort, s.RiskRemoved, s.CumulativePercent, a.ID, a.Why)
			}
			for _, a := range r.Plan.Actions[len(r.Plan.Steps):] {
				fmt.Fprintf(out, " applied: %s (%s)\n", a.Title, a.ID)
			}
			return nil
		},
	}
	f.add(c)
	c.Flags().BoolVar(&asJSON, "json", false, "JSON output (contract in docs/risk.md)")
	c.Flags().BoolVar(&asMD, "md", false, "Markdown report with ACL snippets")
	return c
}

func writePlanMarkdown(w io.Writer, p *risk.Plan) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Remediation plan\n\nGenerated %s. Current risk: %.1f points over %d finding(s).\n\n**%s**\n\n",
		p.GeneratedAt.Format("2006-01-02 15:04 MST"), p.TotalRisk, p.Items, p.Summary)
	b.WriteString("| # | Action | Effort | Devices | Findings | Removes | Cumulative |\n|---|---|---|---|---|---|---|\n")
	for i, s := range p.Steps {
		a := p.Actions[i]
		fmt.Fprintf(&b, "| %d | %s | %s | %d | %d | %.1f | %.0f %% |\n", s.Rank, mdCell(a.Title), a.Effort, len(a.Devices), len(a.Findings), s.RiskRemoved, s.CumulativePercent)
	}
	for i, s := range p.Steps {
		a := p.Actions[i]
		fmt.Fprintf(&b, "\n## %d. %s\n\n%s\n\n- id: `%s`\n- effort: %s\n- devices: %s\n- effect: %s\n", s.Rank, a.Title, a.Why, a.ID, a.Effort, deviceList(a), effectSummary(a))
		for _, t := range a.Texts {
			fmt.Fprintf(&b, "- manufacturer: %s\n", t)
		}
		if a.URL != "" {
			fmt.Fprintf(&b, "- reference: %s\n", a.URL)
		}
		if a.ACL != nil {
			fmt.Fprintf(&b, "\nCisco IOS:\n\n```\n%s```\n\niptables:\n\n```\n%s```\n", a.ACL.CiscoIOS, a.ACL.IPTables)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func deviceList(a risk.Action) string {
	var s []string
	for i, d := range a.Devices {
		if i == 10 {
			s = append(s, fmt.Sprintf("and %d more", len(a.Devices)-10))
			break
		}
		s = append(s, joinNonEmpty(" ", d.Device, paren(d.IP)))
	}
	return strings.Join(s, ", ")
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

// effectSummary counts priority changes: "2 Immediate → Out-of-Cycle, 1 resolved".
func effectSummary(a risk.Action) string {
	names := map[string]string{"I": "Immediate", "O": "Out-of-Cycle", "S": "Scheduled", "D": "Defer", "": "resolved"}
	counts := map[string]int{}
	var order []string
	for _, e := range a.Effects {
		k := names[e.PriorityBefore] + " → " + names[e.PriorityAfter]
		switch {
		case e.PriorityAfter == "":
			k = "resolved"
		case e.PriorityAfter == e.PriorityBefore:
			k = names[e.PriorityBefore] + ", lower score"
		}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return strings.Join(parts, ", ")
}
