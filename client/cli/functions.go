package cli

import (
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newListCommand is `lambdock list`: every function, all pages.
func newListCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List functions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			client := o.client()
			fns, err := allPages([]*lambdaapi.FunctionConfiguration{}, func(marker string) ([]*lambdaapi.FunctionConfiguration, string, error) {
				page, err := client.ListFunctions(cmd.Context(), marker, lambdaapi.MaxListMaxItems)
				if err != nil {
					return nil, "", err
				}
				return page.Functions, page.NextMarker, nil
			})
			if err != nil {
				return err
			}
			all := lambdaapi.ListFunctionsOutput{Functions: fns}
			if o.output == OutputJSON {
				return o.printJSON(all)
			}
			w := o.table("NAME\tRUNTIME\tMEMORY\tTIMEOUT\tCODE\tLAST MODIFIED")
			for _, f := range all.Functions {
				fmt.Fprintf(w, "%s\t%s\t%d MB\t%d s\t%s\t%s\n", f.FunctionName, runtimeLabel(f), f.MemorySize, f.Timeout,
					humanBytes(f.CodeSize), f.LastModified)
			}
			return w.Flush()
		},
	}
}

// newDescribeCommand is `lambdock describe NAME`.
func newDescribeCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a function's configuration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := o.client().GetFunction(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(out)
			}
			f := out.Configuration
			reserved := "none (unreserved pool)"
			if out.Concurrency != nil && out.Concurrency.ReservedConcurrentExecutions != nil {
				reserved = fmt.Sprint(*out.Concurrency.ReservedConcurrentExecutions)
			}
			ephemeral := 0
			if f.EphemeralStorage.Size != nil {
				ephemeral = *f.EphemeralStorage.Size
			}
			w := o.table("")
			for _, row := range [][2]string{
				{"Name", f.FunctionName},
				{"ARN", f.FunctionArn},
				{"Runtime", runtimeLabel(f)},
				{"Handler", f.Handler},
				{"Description", f.Description},
				{"Memory", fmt.Sprintf("%d MB", f.MemorySize)},
				{"Timeout", fmt.Sprintf("%d s", f.Timeout)},
				{"Ephemeral storage", fmt.Sprintf("%d MB", ephemeral)},
				{"Code", codeLabel(out)},
				{"Revision", f.RevisionID},
				{"Last modified", f.LastModified},
				{"State", f.State + " (last update " + f.LastUpdateStatus + ")"},
				{"Reserved concurrency", reserved},
			} {
				fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
			}
			describeImageConfig(w, f)
			if f.Environment != nil {
				fmt.Fprintln(w, "Environment:\t")
				for _, k := range slices.Sorted(maps.Keys(f.Environment.Variables)) {
					fmt.Fprintf(w, "  %s\t%s\n", k, f.Environment.Variables[k])
				}
			}
			for i, l := range f.Layers {
				fmt.Fprintf(w, "Layer %d:\t%s (%s)\n", i+1, l.Arn, humanBytes(l.CodeSize))
			}
			return w.Flush()
		},
	}
}

// newDeleteCommand is `lambdock delete NAME`.
func newDeleteCommand(o *options) *cobra.Command {
	return deleteCommand(o, "delete NAME", "Delete a function", "Deleted %s", (*lambdaclient.Client).DeleteFunction)
}
