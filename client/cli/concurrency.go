package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newConcurrencyCommand is `lambdock concurrency NAME [N] [--delete]`: show, set or remove a
// function's reserved concurrency.
func newConcurrencyCommand(o *options) *cobra.Command {
	var remove bool
	cmd := &cobra.Command{
		Use:   "concurrency NAME [N]",
		Short: "Show, reserve (N) or remove (--delete) a function's reserved concurrency",
		Long: "Reserved concurrency both guarantees and caps a function's concurrent executions.\n" +
			"N = 0 stops all invocations. At least 100 of the account limit always stay unreserved.",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, client := args[0], o.client()
			switch {
			case remove && len(args) == 2:
				return fmt.Errorf("give either N or --delete, not both")
			case remove:
				if err := client.DeleteConcurrency(cmd.Context(), name); err != nil {
					return err
				}
				fmt.Fprintf(o.stdout, "Removed the reserved concurrency of %s\n", name)
				return nil
			case len(args) == 2:
				n, err := strconv.Atoi(args[1])
				if err != nil || n < 0 {
					return fmt.Errorf("reserved concurrency must be a whole number ≥ 0, not %q", args[1])
				}
				if err := client.PutConcurrency(cmd.Context(), name, n); err != nil {
					return err
				}
				fmt.Fprintf(o.stdout, "Reserved %d concurrent executions for %s\n", n, name)
				return nil
			}
			n, err := client.GetConcurrency(cmd.Context(), name)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(lambdaapi.Concurrency{ReservedConcurrentExecutions: n})
			}
			if n == nil {
				fmt.Fprintf(o.stdout, "%s: no reserved concurrency (uses the unreserved pool)\n", name)
			} else {
				fmt.Fprintf(o.stdout, "%s: %d reserved concurrent executions\n", name, *n)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&remove, "delete", false, "remove the reservation")
	return cmd
}
