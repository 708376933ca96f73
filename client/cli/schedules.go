package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newScheduleCommand is `lambdock schedule create|list|get|enable|disable|delete`.
func newScheduleCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Invoke functions on a schedule (cron or rate expressions, UTC)",
	}
	var fn, cron, rate, payload, catchUp string
	var disabled bool
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a schedule that invokes a function asynchronously",
		Long: "Create a schedule that invokes a function asynchronously, with EventBridge's scheduled event unless\n" +
			"--payload gives one. --cron takes EventBridge's six fields (Minutes Hours Day-of-month Month Day-of-week\n" +
			"Year, e.g. '0 18 ? * MON-FRI *') or a five-field crontab line ('*/5 * * * *'); --rate takes\n" +
			"'5 minutes', '1 hour', '1 day' or, in Lambdock, '10 seconds'. Times are UTC. --catch-up says what\n" +
			"happens to ticks missed while no controller ran: one (fire the latest once) or none (skip them).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			expr, err := scheduleExpression(cron, rate)
			if err != nil {
				return err
			}
			enabled := !disabled
			in := lambdaapi.CreateScheduleInput{Name: args[0], FunctionName: fn, ScheduleExpression: expr,
				CatchUp: catchUp, Enabled: &enabled}
			if payload != "" {
				if !json.Valid([]byte(payload)) {
					return errors.New("--payload is not valid JSON")
				}
				in.Payload = json.RawMessage(payload)
			}
			sc, err := o.client().CreateSchedule(cmd.Context(), in)
			if err != nil {
				return err
			}
			return o.printSchedule(sc, "Created schedule")
		},
	}
	create.Flags().StringVar(&fn, "function", "", "the function to invoke (required)")
	create.Flags().StringVar(&cron, "cron", "", "cron expression: six EventBridge fields or a five-field crontab line")
	create.Flags().StringVar(&rate, "rate", "", "rate expression, e.g. '5 minutes'")
	create.Flags().StringVar(&payload, "payload", "", "the event as JSON (default: EventBridge's scheduled event)")
	create.Flags().StringVar(&catchUp, "catch-up", "one", "missed ticks: one or none")
	create.Flags().BoolVar(&disabled, "disabled", false, "create the schedule disabled")
	_ = create.MarkFlagRequired("function") // the flag exists

	var marker string
	var maxItems int
	list := &cobra.Command{
		Use:   "list",
		Short: "List your schedules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := o.client().ListSchedules(cmd.Context(), marker, maxItems)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(out)
			}
			w := o.table("NAME\tFUNCTION\tEXPRESSION\tSTATUS\tLAST TICK\tNEXT TICK")
			for _, sc := range out.Schedules {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", sc.Name, sc.FunctionName, sc.ScheduleExpression,
					status(!sc.Enabled), dash(sc.LastTick), dash(sc.NextTick))
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if out.NextMarker != "" {
				fmt.Fprintf(o.stdout, "More: --marker %s\n", out.NextMarker)
			}
			return nil
		},
	}
	list.Flags().StringVar(&marker, "marker", "", "continue a listing after this name")
	list.Flags().IntVar(&maxItems, "max-items", 0, "page size (1-50)")

	get := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a schedule",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := o.client().GetSchedule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.printSchedule(sc, "Schedule")
		},
	}
	setEnabled := func(use, short string, enabled bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				sc, err := o.client().UpdateSchedule(cmd.Context(), args[0], lambdaapi.UpdateScheduleInput{Enabled: &enabled})
				if err != nil {
					return err
				}
				return o.printSchedule(sc, "Schedule")
			},
		}
	}
	cmd.AddCommand(create, list, get,
		setEnabled("enable", "Enable a schedule", true),
		setEnabled("disable", "Disable a schedule: it fires no more until enabled", false),
		deleteCommand(o, "delete NAME", "Delete a schedule", "Deleted schedule %s", (*lambdaclient.Client).DeleteSchedule))
	return cmd
}

// scheduleExpression builds the expression from --cron or --rate (exactly one): six fields
// become cron(...), five stay a crontab line, and a rate becomes rate(...). An expression
// already written cron(...) or rate(...) is kept.
func scheduleExpression(cron, rate string) (string, error) {
	cron, rate = strings.TrimSpace(cron), strings.TrimSpace(rate)
	switch {
	case (cron == "") == (rate == ""):
		return "", errors.New("give exactly one of --cron and --rate")
	case rate != "" && strings.HasPrefix(rate, "rate("):
		return rate, nil
	case rate != "":
		return "rate(" + rate + ")", nil
	case strings.HasPrefix(cron, "cron(") || len(strings.Fields(cron)) == 5:
		return cron, nil
	}
	return "cron(" + cron + ")", nil
}

// printSchedule prints a schedule as text (headed by what) or JSON.
func (o *options) printSchedule(sc *lambdaapi.Schedule, what string) error {
	if o.output == OutputJSON {
		return o.printJSON(sc)
	}
	fmt.Fprintf(o.stdout, "%s %s: %s invokes %s (%s)\n", what, sc.Name, sc.ScheduleExpression, sc.FunctionName,
		status(!sc.Enabled))
	fmt.Fprintf(o.stdout, "  ARN:       %s\n  Catch-up:  %s\n  Last tick: %s\n  Next tick: %s\n", sc.ScheduleArn,
		sc.CatchUp, dash(sc.LastTick), dash(sc.NextTick))
	if sc.Payload != nil {
		fmt.Fprintf(o.stdout, "  Payload:   %s\n", sc.Payload)
	}
	return nil
}

// dash is s, or "-" when it is empty.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
