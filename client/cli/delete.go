package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
)

// deleteCommand is a command that deletes what its one argument names through del and then
// prints done, a format with one %s for that argument.
func deleteCommand(o *options, use, short, done string,
	del func(c *lambdaclient.Client, ctx context.Context, name string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := del(o.client(), cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(o.stdout, done+"\n", args[0])
			return nil
		},
	}
}
