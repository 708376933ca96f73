package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newPublishCommand is `lambdock publish NAME [-d DESC]`: publish the function's $LATEST as an
// immutable version.
func newPublishCommand(o *options) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "publish NAME [-d DESCRIPTION]",
		Short: "Publish a function's $LATEST as a new immutable version",
		Long: "Publish copies the function's current code and configuration ($LATEST) into a new numbered version,\n" +
			"which never changes. When $LATEST has not changed since the newest version, that version is\n" +
			"returned instead of a new one. Point an alias at a version with `lambdock alias`.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := o.client().PublishVersion(cmd.Context(), args[0], &lambdaapi.PublishVersionInput{Description: description})
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(v)
			}
			fmt.Fprintf(o.stdout, "Published %s version %s\n  %s\n", v.FunctionName, v.Version, v.FunctionArn)
			return nil
		},
	}
	cmd.Flags().StringVarP(&description, "description", "d", "", "description of the version (default: the function's)")
	return cmd
}

// newVersionsCommand is `lambdock versions NAME`: list a function's versions, $LATEST first.
func newVersionsCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "versions NAME",
		Short: "List a function's versions ($LATEST first) and the aliases pointing to them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, client, name := cmd.Context(), o.client(), args[0]
			var versions []*lambdaapi.FunctionConfiguration
			for marker := ""; ; {
				page, err := client.ListVersionsByFunction(ctx, name, marker, 0)
				if err != nil {
					return err
				}
				versions = append(versions, page.Versions...)
				if marker = page.NextMarker; marker == "" {
					break
				}
			}
			if o.output == OutputJSON {
				return o.printJSON(versions)
			}
			aliases, err := allAliases(cmd, o, name)
			if err != nil {
				return err
			}
			byVersion := map[string][]string{}
			for _, a := range aliases {
				byVersion[a.FunctionVersion] = append(byVersion[a.FunctionVersion], a.Name)
				for v, w := range routingWeights(a) {
					byVersion[v] = append(byVersion[v], fmt.Sprintf("%s (%s)", a.Name, percent(w)))
				}
			}
			w := o.table("VERSION\tLAST MODIFIED\tCODE SHA256\tALIASES\tDESCRIPTION")
			for _, v := range versions {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", v.Version, v.LastModified, shortSum(v.CodeSha256),
					joinOrDash(byVersion[v.Version]), v.Description)
			}
			return w.Flush()
		},
	}
}

// shortSum is the start of a CodeSha256, enough to tell versions' code apart.
func shortSum(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}
