package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wardiomt/ward/internal/auth"
	"github.com/wardiomt/ward/internal/db"
)

func newTokenCmd(g *globalOpts) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage API tokens (create the first admin, sensor tokens)",
	}
	cmd.AddCommand(newTokenCreateCmd(g), newTokenRevokeCmd(g))
	return cmd
}

func newTokenCreateCmd(g *globalOpts) *cobra.Command {
	var dsn, org, role, site, name string
	cmd := &cobra.Command{
		Use:   "create --db DB --org ORG --role admin|analyst|viewer|sensor [--site SITE] [--name NAME]",
		Short: "Create an API token and print it once (it is stored only as a hash)",
		Long: `Creates the organization and the site when they do not exist yet, then a token with the
role. Sensor tokens need --site: they can upload for that site only. The token is printed once
on a line 'token: ...'; keep it, it cannot be shown again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			r := auth.Role(role)
			if !r.Valid() {
				return fmt.Errorf("--role %q: want admin, analyst, viewer or sensor", role)
			}
			d, err := db.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			as, err := auth.Open(ctx, d, nil)
			if err != nil {
				return err
			}
			const actor = "ward token create (CLI)"
			if _, err := as.EnsureOrg(ctx, actor, org, ""); err != nil {
				return err
			}
			if site != "" {
				owner, err := as.SiteOrg(ctx, site)
				switch {
				case errors.Is(err, auth.ErrNotFound):
					if _, err := as.CreateSite(ctx, actor, org, site, ""); err != nil {
						return err
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "created site %s in organization %s\n", site, org)
				case err != nil:
					return err
				case owner != org:
					return fmt.Errorf("site %q belongs to organization %q, not %q", site, owner, org)
				}
			}
			secret, tok, err := as.CreateToken(ctx, actor, org, r, site, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "token %s: organization %s, role %s", tok.ID, org, r)
			if site != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), ", site %s", site)
			}
			fmt.Fprintln(cmd.ErrOrStderr())
			fmt.Fprintf(cmd.OutOrStdout(), "token: %s\n", secret)
			return nil
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "database: a SQLite file path or a postgres:// URL (required)")
	cmd.Flags().StringVar(&org, "org", "", "organization (created if missing; required)")
	cmd.Flags().StringVar(&role, "role", "", "admin, analyst, viewer or sensor (required)")
	cmd.Flags().StringVar(&site, "site", "", "site (created in --org if missing); required for sensor tokens")
	cmd.Flags().StringVar(&name, "name", "", "a name for the token (shown in the audit log)")
	for _, f := range []string{"db", "org", "role"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func newTokenRevokeCmd(g *globalOpts) *cobra.Command {
	var dsn, org string
	cmd := &cobra.Command{
		Use:   "revoke --db DB --org ORG TOKEN_ID",
		Short: "Revoke a token (and end its browser sessions)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			d, err := db.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer d.Close()
			as, err := auth.Open(ctx, d, nil)
			if err != nil {
				return err
			}
			if err := as.RevokeToken(ctx, "ward token revoke (CLI)", org, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&dsn, "db", "", "database (required)")
	cmd.Flags().StringVar(&org, "org", "", "organization of the token (required)")
	_ = cmd.MarkFlagRequired("db")
	_ = cmd.MarkFlagRequired("org")
	return cmd
}
