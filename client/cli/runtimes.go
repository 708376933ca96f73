package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/runtimes"
)

// newRuntimesCommand is `lambdock runtimes`: the gateway's catalogue of managed runtimes.
func newRuntimesCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "runtimes",
		Short: "List the runtimes functions can use",
		Long: "List the runtimes the platform accepts in CreateFunction: the Lambda identifier, the\n" +
			"language version, the operating system of its image, the image, the AWS SDK the image\n" +
			"includes, and whether Lambda has deprecated it (Lambdock still runs it).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			rts, err := o.client().ListRuntimes(cmd.Context())
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(lambdaapi.ListRuntimesOutput{Runtimes: rts})
			}
			w := o.table("RUNTIME\tLANGUAGE\tOS\tIMAGE\tSDK\tDEPRECATED")
			for _, r := range rts {
				lang := "-"
				if r.LanguageVersion != "" {
					lang = languageName(r.Family) + " " + r.LanguageVersion
				}
				deprecated := "no"
				if r.Deprecated {
					deprecated = "yes"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Runtime, lang, r.OperatingSystem, r.Image, dash(r.SDK), deprecated)
			}
			return w.Flush()
		},
	}
}

// languageName is the language of a runtime family as people write it.
func languageName(family string) string {
	switch family {
	case runtimes.FamilyPython:
		return "Python"
	case runtimes.FamilyNode:
		return "Node.js"
	}
	return family
}
