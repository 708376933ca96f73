package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/target"
)

// newQueueTriggerCommand is `lambdock queue-trigger create|list|get|update|delete`: event source
// mappings whose source is a Lambdock queue.
func newQueueTriggerCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "queue-trigger",
		Aliases: []string{"esm"},
		Short:   "Invoke a function with batches of a queue's messages (event source mappings)",
		Long: "A queue trigger (Lambda's event source mapping) invokes a function with batches of the messages\n" +
			"published to a Lambdock queue, a JetStream stream that any NATS client can publish to:\n" +
			"  nats pub lambdock.user.<account>.queue.<name> 'hello'",
	}
	cmd.AddCommand(newQueueTriggerCreateCommand(o), newQueueTriggerListCommand(o), newQueueTriggerGetCommand(o),
		newQueueTriggerUpdateCommand(o), newQueueTriggerDeleteCommand(o))
	return cmd
}

// triggerFlags are the settings create and update share.
type triggerFlags struct {
	batchSize, window, retries int
	reportFailures             bool
	onFailure                  string
}

func (t *triggerFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&t.batchSize, "batch-size", lambdaapi.DefaultBatchSize, "messages per invocation (1–10000; above 10 needs --batching-window)")
	f.IntVar(&t.window, "batching-window", 0, "seconds to gather a batch (0–300)")
	f.IntVar(&t.retries, "max-retries", lambdaapi.UnlimitedMappingRetries, "retries of a failed message before OnFailure (-1: forever)")
	f.BoolVar(&t.reportFailures, "report-failures", false, "the function answers {\"batchItemFailures\":[…]} (ReportBatchItemFailures)")
	f.StringVar(&t.onFailure, "on-failure", "", "where messages out of retries go: a queue or subject ARN, or queue/NAME, subject/A.B")
}

// newQueueTriggerCreateCommand is `lambdock queue-trigger create FUNCTION QUEUE [flags]`.
func newQueueTriggerCreateCommand(o *options) *cobra.Command {
	var (
		t        triggerFlags
		disabled bool
	)
	cmd := &cobra.Command{
		Use:   "create FUNCTION QUEUE",
		Short: "Trigger a function with a queue's messages (the queue is created if missing)",
		Long: "Trigger FUNCTION with batches of QUEUE's messages. QUEUE is a queue name or ARN\n" +
			"(arn:aws:nats:<region>:<account>:queue/<name>); the queue is created if it does not exist.",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c := o.client()
			region, account, err := functionAccount(ctx, c, args[0])
			if err != nil {
				return err
			}
			in := &lambdaapi.CreateEventSourceMappingInput{FunctionName: args[0],
				EventSourceArn: natsARN(region, account, "queue/", args[1]),
				Enabled:        ptrTo(!disabled), BatchSize: &t.batchSize, MaximumBatchingWindowInSeconds: &t.window,
				MaximumRetryAttempts: &t.retries}
			if t.reportFailures {
				in.FunctionResponseTypes = []string{lambdaapi.ReportBatchItemFailures}
			}
			if t.onFailure != "" {
				in.DestinationConfig = onFailureConfig(region, account, t.onFailure)
			}
			out, err := c.CreateEventSourceMapping(ctx, in)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(out)
			}
			fmt.Fprintf(o.stdout, "Created queue trigger %s: %s → %s (%s)\n", out.UUID, out.EventSourceArn, args[0], out.State)
			if subject := queueSubject(out.EventSourceArn); subject != "" {
				fmt.Fprintf(o.stdout, "Publish with any NATS client, e.g.: nats pub %s 'hello'\n", subject)
			}
			return nil
		},
	}
	t.register(cmd)
	cmd.Flags().BoolVar(&disabled, "disabled", false, "create it disabled (no polling until enabled)")
	return cmd
}

// newQueueTriggerListCommand is `lambdock queue-trigger list [--function F] [--queue ARN]`.
func newQueueTriggerListCommand(o *options) *cobra.Command {
	var function, queue string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List queue triggers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, err := allPages(nil, func(marker string) ([]*lambdaapi.EventSourceMappingConfiguration, string, error) {
				page, err := o.client().ListEventSourceMappings(cmd.Context(), function, queue, marker, 0)
				if err != nil {
					return nil, "", err
				}
				return page.EventSourceMappings, page.NextMarker, nil
			})
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(lambdaapi.ListEventSourceMappingsOutput{EventSourceMappings: all})
			}
			w := o.table("UUID\tSTATE\tBATCH\tQUEUE\tFUNCTION\tLAST RESULT")
			for _, m := range all {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", m.UUID, m.State, m.BatchSize, m.EventSourceArn,
					m.FunctionArn, m.LastProcessingResult)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&function, "function", "", "only the triggers of this function")
	cmd.Flags().StringVar(&queue, "queue", "", "only the triggers of this queue ARN")
	return cmd
}

// newQueueTriggerGetCommand is `lambdock queue-trigger get UUID`.
func newQueueTriggerGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get UUID",
		Short: "Show a queue trigger",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := o.client().GetEventSourceMapping(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(out)
			}
			printTrigger(o.stdout, out)
			return nil
		},
	}
}

// newQueueTriggerUpdateCommand is `lambdock queue-trigger update UUID [flags]`: only the flags
// given change.
func newQueueTriggerUpdateCommand(o *options) *cobra.Command {
	var (
		t               triggerFlags
		enable, disable bool
		function        string
	)
	cmd := &cobra.Command{
		Use:   "update UUID",
		Short: "Change a queue trigger (only the flags given)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if enable && disable {
				return fmt.Errorf("--enable and --disable exclude each other")
			}
			ctx := cmd.Context()
			c := o.client()
			f := cmd.Flags()
			in := &lambdaapi.UpdateEventSourceMappingInput{FunctionName: function}
			if enable || disable {
				in.Enabled = ptrTo(enable)
			}
			if f.Changed("batch-size") {
				in.BatchSize = &t.batchSize
			}
			if f.Changed("batching-window") {
				in.MaximumBatchingWindowInSeconds = &t.window
			}
			if f.Changed("max-retries") {
				in.MaximumRetryAttempts = &t.retries
			}
			if f.Changed("report-failures") {
				types := []string{}
				if t.reportFailures {
					types = []string{lambdaapi.ReportBatchItemFailures}
				}
				in.FunctionResponseTypes = &types
			}
			if f.Changed("on-failure") {
				cur, err := c.GetEventSourceMapping(ctx, args[0])
				if err != nil {
					return err
				}
				region, account := arnRegionAccount(cur.FunctionArn)
				in.DestinationConfig = &lambdaapi.MappingDestinationConfig{OnFailure: &lambdaapi.OnFailure{}}
				if t.onFailure != "" {
					in.DestinationConfig = onFailureConfig(region, account, t.onFailure)
				}
			}
			out, err := c.UpdateEventSourceMapping(ctx, args[0], in)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(out)
			}
			fmt.Fprintf(o.stdout, "Updated queue trigger %s (%s)\n", out.UUID, out.State)
			return nil
		},
	}
	t.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&enable, "enable", false, "start polling")
	f.BoolVar(&disable, "disable", false, "stop polling (messages stay in the queue)")
	f.StringVar(&function, "function", "", "invoke this function instead")
	return cmd
}

// newQueueTriggerDeleteCommand is `lambdock queue-trigger delete UUID`.
func newQueueTriggerDeleteCommand(o *options) *cobra.Command {
	return deleteCommand(o, "delete UUID", "Remove a queue trigger (the queue and its messages stay)",
		"Removed queue trigger %s", func(c *lambdaclient.Client, ctx context.Context, id string) error {
			_, err := c.DeleteEventSourceMapping(ctx, id)
			return err
		})
}

// printTrigger shows a mapping as text.
func printTrigger(w io.Writer, m *lambdaapi.EventSourceMappingConfiguration) {
	onFailure := "-"
	if m.DestinationConfig != nil && m.DestinationConfig.OnFailure != nil {
		onFailure = m.DestinationConfig.OnFailure.Destination
	}
	modified := time.UnixMilli(int64(m.LastModified * 1000)).UTC().Format(time.RFC3339)
	fmt.Fprintf(w, "UUID:             %s\nState:            %s\nQueue:            %s\nFunction:         %s\n"+
		"Batch size:       %d\nBatching window:  %d s\nResponse types:   %s\nMax retries:      %d\nOnFailure:        %s\n"+
		"Last result:      %s\nModified:         %s\n",
		m.UUID, m.State, m.EventSourceArn, m.FunctionArn, m.BatchSize, m.MaximumBatchingWindowInSeconds,
		strings.Join(m.FunctionResponseTypes, ","), m.MaximumRetryAttempts, onFailure, m.LastProcessingResult, modified)
	if subject := queueSubject(m.EventSourceArn); subject != "" {
		fmt.Fprintf(w, "Publish to:       %s\n", subject)
	}
}

// functionAccount is the region and account of the function's ARN (the caller's account).
func functionAccount(ctx context.Context, c *lambdaclient.Client, name string) (string, string, error) {
	f, err := c.GetFunctionConfiguration(ctx, name)
	if err != nil {
		return "", "", err
	}
	region, account := arnRegionAccount(f.FunctionArn)
	return region, account, nil
}

// arnRegionAccount splits the region and account out of an ARN.
func arnRegionAccount(arn string) (string, string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 5 {
		return "", ""
	}
	return parts[3], parts[4]
}

// natsARN is s when it is an ARN, else the account's NATS ARN of kind (e.g. "queue/") and s.
func natsARN(region, account, kind, s string) string {
	if strings.HasPrefix(s, "arn:") {
		return s
	}
	return "arn:aws:nats:" + region + ":" + account + ":" + kind + strings.TrimPrefix(s, kind)
}

// onFailureConfig is an OnFailure destination from an ARN or queue/NAME or subject/A.B.
func onFailureConfig(region, account, s string) *lambdaapi.MappingDestinationConfig {
	dest := s
	if !strings.HasPrefix(s, "arn:") {
		dest = "arn:aws:nats:" + region + ":" + account + ":" + s
	}
	return &lambdaapi.MappingDestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: dest}}
}

// queueSubject is the NATS subject a queue ARN's messages are published on ("" if not a queue).
func queueSubject(arn string) string {
	t, err := target.Parse(arn)
	if err != nil || t.Kind != target.KindQueue {
		return ""
	}
	return t.NATSSubject()
}

// ptrTo is a pointer to v.
func ptrTo[T any](v T) *T { return &v }
