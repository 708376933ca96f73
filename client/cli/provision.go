package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newProvisionCommand is `lambdock provision NAME[:QUALIFIER] [N] [--delete] [--wait]`: list a
// function's provisioned concurrency, show or set (N) one version's or alias's, or remove it.
func newProvisionCommand(o *options) *cobra.Command {
	var (
		remove bool
		wait   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "provision NAME[:QUALIFIER] [N]",
		Short: "Show, set (N) or remove (--delete) provisioned concurrency of a version or alias",
		Long: "Provisioned concurrency keeps N environments of a published version or an alias initialised\n" +
			"ahead of calls (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency in them). It counts\n" +
			"against the function's reserved concurrency, or the account's unreserved pool.\n" +
			"NAME alone lists the function's configurations; --wait waits until READY.",
		Example: "  lambdock provision orders:prod 3 --wait 2m\n  lambdock provision orders:prod\n" +
			"  lambdock provision orders:prod --delete\n  lambdock provision orders",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, qualifier, _ := strings.Cut(args[0], ":")
			client, ctx := o.client(), cmd.Context()
			switch {
			case qualifier == "" && (remove || len(args) == 2):
				return fmt.Errorf("name the version or alias: %s:QUALIFIER", name)
			case remove && len(args) == 2:
				return errors.New("give either N or --delete, not both")
			case qualifier == "":
				return listProvisioned(o, cmd, name)
			case remove:
				if err := client.DeleteProvisionedConcurrency(ctx, name, qualifier); err != nil {
					return err
				}
				fmt.Fprintf(o.stdout, "Removed the provisioned concurrency of %s:%s\n", name, qualifier)
				return nil
			}
			var (
				cfg *lambdaapi.ProvisionedConcurrencyConfig
				err error
			)
			if len(args) == 2 {
				n, perr := strconv.Atoi(args[1])
				if perr != nil || n < 1 {
					return fmt.Errorf("provisioned concurrency must be a whole number ≥ 1, not %q", args[1])
				}
				cfg, err = client.PutProvisionedConcurrency(ctx, name, qualifier, n)
			} else {
				cfg, err = client.GetProvisionedConcurrency(ctx, name, qualifier)
			}
			if err != nil {
				return err
			}
			for deadline := time.Now().Add(wait); wait > 0 && cfg.Status == lambdaapi.ProvisionedInProgress; {
				if time.Now().After(deadline) {
					return fmt.Errorf("%s:%s still %s after %s (%d of %d allocated)", name, qualifier, cfg.Status,
						wait, cfg.AllocatedProvisionedConcurrentExecutions, cfg.RequestedProvisionedConcurrentExecutions)
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Second):
				}
				if cfg, err = client.GetProvisionedConcurrency(ctx, name, qualifier); err != nil {
					return err
				}
			}
			if o.output == OutputJSON {
				return o.printJSON(cfg)
			}
			fmt.Fprintf(o.stdout, "%s:%s: %s, %d of %d provisioned environments allocated", name, qualifier,
				cfg.Status, cfg.AllocatedProvisionedConcurrentExecutions, cfg.RequestedProvisionedConcurrentExecutions)
			if cfg.StatusReason != "" {
				fmt.Fprintf(o.stdout, " (%s)", cfg.StatusReason)
			}
			fmt.Fprintln(o.stdout)
			if cfg.Status == lambdaapi.ProvisionedFailed && wait > 0 {
				return fmt.Errorf("provisioned concurrency of %s:%s failed", name, qualifier)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&remove, "delete", false, "remove the provisioned concurrency")
	cmd.Flags().DurationVar(&wait, "wait", 0, "wait up to this long for the status to leave IN_PROGRESS")
	return cmd
}

// listProvisioned prints every provisioned concurrency configuration of the function.
func listProvisioned(o *options, cmd *cobra.Command, name string) error {
	var all []*lambdaapi.ProvisionedConcurrencyConfigListItem
	for marker := ""; ; {
		page, err := o.client().ListProvisionedConcurrency(cmd.Context(), name, marker, 0)
		if err != nil {
			return err
		}
		all = append(all, page.ProvisionedConcurrencyConfigs...)
		if marker = page.NextMarker; marker == "" {
			break
		}
	}
	if o.output == OutputJSON {
		return o.printJSON(lambdaapi.ListProvisionedConcurrencyConfigsOutput{ProvisionedConcurrencyConfigs: all})
	}
	w := o.table("QUALIFIER\tREQUESTED\tALLOCATED\tSTATUS\tREASON")
	for _, c := range all {
		q := c.FunctionArn[strings.LastIndex(c.FunctionArn, ":")+1:]
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\n", q, c.RequestedProvisionedConcurrentExecutions,
			c.AllocatedProvisionedConcurrentExecutions, c.Status, c.StatusReason)
	}
	return w.Flush()
}
