package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
)

// newInvocationsCommand is `lambdock invocations NAME`: a function's recent invocations, newest
// first, with their durations, billed duration, memory, cold flag and status.
func newInvocationsCommand(o *options) *cobra.Command {
	var in lambdaclient.ListInvocationsInput
	var since, output string
	cmd := &cobra.Command{
		Use:   "invocations NAME",
		Short: "List a function's recent invocations, newest first",
		Long: "List the invocations of a function that ran (one line per attempt), newest first: start, request id,\n" +
			"status, duration, init duration of a cold start, billed duration, memory used of the memory size.\n" +
			"--since limits them to those that started at most that long before now, exactly (1h, 30m, 2d = 48h;\n" +
			"not whole hours or calendar days, unlike usage --since); --status to success, error, timeout or crash; --limit\n" +
			"(1-1000, default 50) is the page size, and --marker continues a listing.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkReportOutput(&output, OutputTable, OutputJSON); err != nil {
				return err
			}
			if since != "" {
				d, err := parseSinceDuration(since)
				if err != nil {
					return err
				}
				in.From = time.Now().Add(-d)
			}
			out, err := o.client().ListInvocations(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			if output == OutputJSON {
				return o.printJSON(out)
			}
			w := o.table("START (UTC)\tREQUEST ID\tATTEMPT\tSTATUS\tDURATION MS\tINIT MS\tBILLED MS\tMEMORY MB\tTYPE\tVERSION")
			for _, v := range out.Invocations {
				start, err := time.Parse(time.RFC3339Nano, v.StartTime)
				label := v.StartTime
				if err == nil {
					label = start.UTC().Format("2006-01-02 15:04:05.000")
				}
				status := v.Status
				if v.ErrorType != "" {
					status += " (" + v.ErrorType + ")"
				}
				init := "-"
				if v.Cold {
					init = fmt.Sprintf("%.3f", v.InitDurationMs)
				}
				version := v.Version
				if v.Qualifier != "" && v.Qualifier != v.Version {
					version += " (" + v.Qualifier + ")"
				}
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%.3f\t%s\t%d\t%d/%d\t%s\t%s\n", label, v.RequestID, v.Attempt, status,
					v.DurationMs, init, v.BilledDurationMs, v.MaxMemoryUsed, v.MemorySize, v.InvocationType, version)
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
	cmd.Flags().StringVar(&since, "since", "", "only invocations that started at most this long before now, exactly: 1h, 30m, 2d (48 hours)")
	cmd.Flags().StringVar(&in.Status, "status", "", "only success, error, timeout or crash")
	cmd.Flags().IntVar(&in.Limit, "limit", 0, "page size, 1-1000 (default 50)")
	cmd.Flags().StringVar(&in.Marker, "marker", "", "continue a listing (the marker a page ended with)")
	reportOutputFlag(cmd, &output, OutputTable, OutputJSON)
	return cmd
}

// parseSinceDuration reads a --since of the invocations command: a Go duration, or whole days (2d).
func parseSinceDuration(s string) (time.Duration, error) {
	if n := len(s); n > 1 && s[n-1] == 'd' {
		if days, err := time.ParseDuration(s[:n-1] + "h"); err == nil && days > 0 {
			return days * 24, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--since %q: want a duration such as 1h, 30m or 2d", s)
	}
	return d, nil
}
