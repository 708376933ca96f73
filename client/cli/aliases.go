package cli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newAliasCommand is `lambdock alias NAME ALIAS [VERSION] [--weight V=W] [-d DESC] [--delete]`:
// show, create or move (VERSION), or delete an alias.
func newAliasCommand(o *options) *cobra.Command {
	var (
		weight, description string
		remove              bool
	)
	cmd := &cobra.Command{
		Use:   "alias NAME ALIAS [VERSION] [--weight V=W] [-d DESCRIPTION] [--delete]",
		Short: "Show, point (VERSION) or delete (--delete) a function alias",
		Long: "With VERSION, the alias is created, or moved to VERSION ($LATEST or a published number), and\n" +
			"--weight V=W sends the share W (0-1) of its invocations to version V instead, e.g. --weight 3=0.1\n" +
			"for a canary; without --weight the alias routes everything to VERSION. Invoke it as NAME:ALIAS.\n" +
			"`lambdock rollback NAME ALIAS` moves it back to its previous version.",
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, client := cmd.Context(), o.client()
			fn, name := args[0], args[1]
			switch {
			case remove && (len(args) == 3 || weight != ""):
				return errors.New("--delete takes no VERSION or --weight")
			case remove:
				if err := client.DeleteAlias(ctx, fn, name); err != nil {
					return err
				}
				fmt.Fprintf(o.stdout, "Deleted alias %s of %s\n", name, fn)
				return nil
			case len(args) == 2:
				if weight != "" || cmd.Flags().Changed("description") {
					return errors.New("give the VERSION the alias points to")
				}
				a, err := client.GetAlias(ctx, fn, name)
				if err != nil {
					return err
				}
				return o.printAlias(a)
			}
			weights, err := parseWeight(weight)
			if err != nil {
				return err
			}
			a, created, err := putAlias(cmd, client, fn, name, args[2], weights, description)
			if err != nil {
				return err
			}
			verb := "Moved"
			if created {
				verb = "Created"
			}
			fmt.Fprintf(o.stdout, "%s alias %s → %s\n", verb, a.AliasArn, describeRouting(a))
			return nil
		},
	}
	cmd.Flags().StringVar(&weight, "weight", "", "additional version and its share of invocations, e.g. 3=0.1")
	cmd.Flags().StringVarP(&description, "description", "d", "", "description of the alias")
	cmd.Flags().BoolVar(&remove, "delete", false, "delete the alias")
	return cmd
}

// putAlias creates the alias, or updates it when it exists, to route to version (and weights)
// and reports whether it was created. The description changes only when -d was given.
func putAlias(cmd *cobra.Command, client *lambdaclient.Client, fn, name, version string, weights map[string]float64,
	description string) (*lambdaapi.AliasConfiguration, bool, error) {
	ctx := cmd.Context()
	_, err := client.GetAlias(ctx, fn, name)
	if lambdaclient.IsNotFound(err) {
		in := &lambdaapi.CreateAliasInput{Name: name, FunctionVersion: version, Description: description}
		if len(weights) > 0 {
			in.RoutingConfig = &lambdaapi.AliasRoutingConfiguration{AdditionalVersionWeights: weights}
		}
		a, err := client.CreateAlias(ctx, fn, in)
		return a, true, err
	}
	if err != nil {
		return nil, false, err
	}
	in := &lambdaapi.UpdateAliasInput{FunctionVersion: &version,
		RoutingConfig: &lambdaapi.AliasRoutingConfiguration{AdditionalVersionWeights: weights}}
	if cmd.Flags().Changed("description") {
		in.Description = &description
	}
	a, err := client.UpdateAlias(ctx, fn, name, in)
	return a, false, err
}

// parseWeight reads --weight V=W ("" for none).
func parseWeight(s string) (map[string]float64, error) {
	if s == "" {
		return nil, nil
	}
	v, w, ok := strings.Cut(s, "=")
	n, err := strconv.ParseFloat(w, 64)
	if !ok || v == "" || err != nil || n < 0 || n > 1 {
		return nil, fmt.Errorf("--weight must be VERSION=SHARE with a share from 0 to 1, e.g. 3=0.1, not %q", s)
	}
	return map[string]float64{v: n}, nil
}

// routingWeights is the alias's additional version weights (nil when it has none).
func routingWeights(a *lambdaapi.AliasConfiguration) map[string]float64 {
	if a.RoutingConfig == nil {
		return nil
	}
	return a.RoutingConfig.AdditionalVersionWeights
}

// percent shows a weight as a percentage.
func percent(w float64) string {
	return strconv.FormatFloat(math.Round(w*10000)/100, 'f', -1, 64) + " %"
}

// describeRouting says where an alias sends invocations: "version 1" or "version 1 (90 %),
// version 2 (10 %)".
func describeRouting(a *lambdaapi.AliasConfiguration) string {
	weights := routingWeights(a)
	if len(weights) == 0 {
		return "version " + a.FunctionVersion
	}
	rest := 1.0
	var extra []string
	for v, w := range weights {
		rest -= w
		extra = append(extra, fmt.Sprintf("version %s (%s)", v, percent(w)))
	}
	return fmt.Sprintf("version %s (%s), %s", a.FunctionVersion, percent(rest), strings.Join(extra, ", "))
}

// printAlias prints one alias as text or JSON.
func (o *options) printAlias(a *lambdaapi.AliasConfiguration) error {
	if o.output == OutputJSON {
		return o.printJSON(a)
	}
	fmt.Fprintf(o.stdout, "%s\n  routes to:   %s\n  revision:    %s\n", a.AliasArn, describeRouting(a), a.RevisionID)
	if a.Description != "" {
		fmt.Fprintf(o.stdout, "  description: %s\n", a.Description)
	}
	return nil
}

// allAliases reads every alias of the function fn, page by page.
func allAliases(cmd *cobra.Command, o *options, fn string) ([]*lambdaapi.AliasConfiguration, error) {
	var out []*lambdaapi.AliasConfiguration
	for marker := ""; ; {
		page, err := o.client().ListAliases(cmd.Context(), fn, "", marker, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Aliases...)
		if marker = page.NextMarker; marker == "" {
			return out, nil
		}
	}
}

// newAliasesCommand is `lambdock aliases NAME`: list a function's aliases.
func newAliasesCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "aliases NAME",
		Short: "List a function's aliases and the versions they route to",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			aliases, err := allAliases(cmd, o, args[0])
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				if aliases == nil {
					aliases = []*lambdaapi.AliasConfiguration{}
				}
				return o.printJSON(aliases)
			}
			w := o.table("ALIAS\tROUTES TO\tDESCRIPTION")
			for _, a := range aliases {
				fmt.Fprintf(w, "%s\t%s\t%s\n", a.Name, describeRouting(a), a.Description)
			}
			return w.Flush()
		},
	}
}

// newRollbackCommand is `lambdock rollback NAME ALIAS`: move an alias back to its previous version.
func newRollbackCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "rollback NAME ALIAS",
		Short: "Point an alias back to the version it pointed to before its last move",
		Long: "Each alias remembers the last 10 versions it pointed to. Rollback moves it to the previous one\n" +
			"and removes its weighted routing, so every invocation goes to that version again.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := o.client().RollbackAlias(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(o.stdout, "Rolled back alias %s → %s\n", a.AliasArn, describeRouting(a))
			return nil
		},
	}
}

// joinOrDash joins names with commas, or is "-" when there are none.
func joinOrDash(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ", ")
}
