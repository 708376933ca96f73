package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// newEventConfigCommand is `lambdock event-config put|update|get|delete|list NAME`: a function's
// asynchronous invocation settings (Lambda's event invoke config).
func newEventConfigCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "event-config",
		Short: "Set, show or remove a function's asynchronous invocation settings (retries, event age, destinations)",
		Long: "Asynchronous invocation settings: how often a failed event is retried (--max-retries 0–2,\n" +
			"default 2), how long an event may wait (--max-age 60–21600 seconds, default 6 hours) and where\n" +
			"the record of each invocation goes (--on-success/--on-failure: a function, subject or queue ARN).",
	}
	cmd.AddCommand(newEventConfigWriteCommand(o, "put"), newEventConfigWriteCommand(o, "update"),
		newEventConfigGetCommand(o), newEventConfigDeleteCommand(o), newEventConfigListCommand(o))
	return cmd
}

// newEventConfigWriteCommand is `lambdock event-config put|update NAME [flags]`: put replaces the
// settings (what is not given is removed), update changes only what is given.
func newEventConfigWriteCommand(o *options, verb string) *cobra.Command {
	var (
		qualifier            string
		retries, age         int
		onSuccess, onFailure string
	)
	short := "Replace a function's asynchronous invocation settings (what is not given is removed)"
	if verb == "update" {
		short = "Change some of a function's asynchronous invocation settings (the others are kept)"
	}
	cmd := &cobra.Command{
		Use:   verb + " NAME [--max-retries N] [--max-age SECONDS] [--on-success ARN] [--on-failure ARN]",
		Short: short,
		Long: short + ".\nDestination ARNs: arn:aws:lambda:<region>:<account>:function:<name>,\n" +
			"arn:aws:nats:<region>:<account>:subject/<a.b> (NATS subject lambdock.user.<account>.<a.b>) or\n" +
			"arn:aws:nats:<region>:<account>:queue/<name>. An empty ARN (--on-failure '') removes a destination.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			in := &lambdaapi.EventInvokeConfigInput{}
			if f.Changed("max-retries") {
				in.MaximumRetryAttempts = &retries
			}
			if f.Changed("max-age") {
				in.MaximumEventAgeInSeconds = &age
			}
			client := o.client()
			if f.Changed("on-success") || f.Changed("on-failure") {
				d := &lambdaapi.DestinationConfig{OnSuccess: &lambdaapi.Destination{Destination: onSuccess},
					OnFailure: &lambdaapi.Destination{Destination: onFailure}}
				// Lambda's Update replaces both destinations; keep the one not given.
				if verb == "update" && !(f.Changed("on-success") && f.Changed("on-failure")) {
					cur, err := client.GetEventInvokeConfig(cmd.Context(), args[0], qualifier)
					if err != nil {
						return err
					}
					if cd := cur.DestinationConfig; cd != nil && !f.Changed("on-success") && cd.OnSuccess != nil {
						d.OnSuccess.Destination = cd.OnSuccess.Destination
					}
					if cd := cur.DestinationConfig; cd != nil && !f.Changed("on-failure") && cd.OnFailure != nil {
						d.OnFailure.Destination = cd.OnFailure.Destination
					}
				}
				in.DestinationConfig = d
			}
			write := client.PutEventInvokeConfig
			if verb == "update" {
				write = client.UpdateEventInvokeConfig
			}
			out, err := write(cmd.Context(), args[0], qualifier, in)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(out)
			}
			printEventConfig(o.stdout, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&qualifier, "qualifier", "", "version or alias ($LATEST, the default, is the only one so far)")
	f.IntVar(&retries, "max-retries", rules.DefaultRetryAttempts, "retries after a function error (0–2)")
	f.IntVar(&age, "max-age", rules.DefaultEventAgeSec, "seconds an event may wait before it is dropped (60–21600)")
	f.StringVar(&onSuccess, "on-success", "", "destination ARN of successful invocations' records")
	f.StringVar(&onFailure, "on-failure", "", "destination ARN of failed (or expired) invocations' records")
	return cmd
}

// newEventConfigGetCommand is `lambdock event-config get NAME`.
func newEventConfigGetCommand(o *options) *cobra.Command {
	var qualifier string
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a function's asynchronous invocation settings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := o.client().GetEventInvokeConfig(cmd.Context(), args[0], qualifier)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(out)
			}
			printEventConfig(o.stdout, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&qualifier, "qualifier", "", "version or alias (default $LATEST)")
	return cmd
}

// newEventConfigDeleteCommand is `lambdock event-config delete NAME`.
func newEventConfigDeleteCommand(o *options) *cobra.Command {
	return deleteCommand(o, "delete NAME", "Remove a function's asynchronous invocation settings (Lambda's defaults apply)",
		"Removed the asynchronous invocation settings of %s",
		func(c *lambdaclient.Client, ctx context.Context, name string) error {
			return c.DeleteEventInvokeConfig(ctx, name, "")
		})
}

// newEventConfigListCommand is `lambdock event-config list NAME`: the settings of every
// qualifier of the function.
func newEventConfigListCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "list NAME",
		Short: "List a function's asynchronous invocation settings, one per version or alias",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			configs, err := allPages([]*lambdaapi.FunctionEventInvokeConfig{}, func(marker string) ([]*lambdaapi.FunctionEventInvokeConfig, string, error) {
				page, err := o.client().ListEventInvokeConfigs(cmd.Context(), args[0], marker,
					lambdaapi.MaxEventInvokeConfigListItems)
				if err != nil {
					return nil, "", err
				}
				return page.FunctionEventInvokeConfigs, page.NextMarker, nil
			})
			if err != nil {
				return err
			}
			all := lambdaapi.ListFunctionEventInvokeConfigsOutput{FunctionEventInvokeConfigs: configs}
			if o.output == OutputJSON {
				return o.printJSON(all)
			}
			w := o.table("FUNCTION ARN\tMAX RETRIES\tMAX AGE\tON SUCCESS\tON FAILURE\tLAST MODIFIED")
			for _, c := range all.FunctionEventInvokeConfigs {
				s, f := destinations(c)
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", c.FunctionArn, setting(c.MaximumRetryAttempts, ""),
					setting(c.MaximumEventAgeInSeconds, " s"), s, f, c.LastModified.UTC().Format(time.RFC3339))
			}
			return w.Flush()
		},
	}
}

// printEventConfig prints one configuration as text.
func printEventConfig(w io.Writer, c *lambdaapi.FunctionEventInvokeConfig) {
	s, f := destinations(c)
	fmt.Fprintf(w, "Function:      %s\nMax retries:   %s\nMax event age: %s\nOn success:    %s\nOn failure:    %s\nModified:      %s\n",
		c.FunctionArn, setting(c.MaximumRetryAttempts, ""), setting(c.MaximumEventAgeInSeconds, " s"), s, f,
		c.LastModified.UTC().Format(time.RFC3339))
}

// destinations are c's success and failure destinations, "-" for none.
func destinations(c *lambdaapi.FunctionEventInvokeConfig) (onSuccess, onFailure string) {
	onSuccess, onFailure = "-", "-"
	if d := c.DestinationConfig; d != nil {
		if d.OnSuccess != nil && d.OnSuccess.Destination != "" {
			onSuccess = d.OnSuccess.Destination
		}
		if d.OnFailure != nil && d.OnFailure.Destination != "" {
			onFailure = d.OnFailure.Destination
		}
	}
	return onSuccess, onFailure
}

// setting renders an optional number with its unit, or "default" when it is unset.
func setting(n *int, unit string) string {
	if n == nil {
		return "default"
	}
	return strconv.Itoa(*n) + unit
}
