package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// Output formats of the report commands (their own -o, which also takes csv and table).
const (
	OutputTable = "table"
	OutputCSV   = "csv"
)

// chartWidth is the width in cells of the usage table's GB-seconds bars.
const chartWidth = 24

// reportOutputFlag gives cmd its own -o/--output (shadowing the global one) taking formats; the
// first is the default. "text" is taken as "table".
func reportOutputFlag(cmd *cobra.Command, dst *string, formats ...string) {
	cmd.Flags().StringVarP(dst, "output", "o", formats[0], "output format: "+strings.Join(formats, ", "))
}

// checkReportOutput normalizes and checks a report command's -o.
func checkReportOutput(out *string, formats ...string) error {
	if *out == OutputText {
		*out = OutputTable
	}
	for _, f := range formats {
		if *out == f {
			return nil
		}
	}
	return fmt.Errorf("-o must be one of %s, not %q", strings.Join(formats, ", "), *out)
}

// newUsageCommand is `lambdock usage`: a usage report with costs, a total line and, by day or
// hour, a bar chart of GB-seconds.
func newUsageCommand(o *options) *cobra.Command {
	var in lambdaclient.UsageInput
	var since, from, to, output string
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Show usage and its cost by day, hour, month or function",
		Long: "Show requests, errors, throttles, cold starts, GB-seconds and their cost (before the monthly free\n" +
			"tier, which the invoice applies) by day (default), hour, month or function, with a total line and,\n" +
			"by day or hour, a bar chart of GB-seconds. The period is --since or --from/--to (RFC 3339 or\n" +
			"YYYY-MM-DD, UTC, --to exclusive); default: the last 30 days. Usage is counted by UTC hour, so --since\n" +
			"always starts at a whole hour: Nd is N calendar days, today included (from 00:00 UTC N-1 days ago);\n" +
			"Nh is N whole hours, the current one included (from the start of the hour N-1 hours ago); any other\n" +
			"duration (90m, 1h30m) starts at the beginning of the hour that contains now minus it, so that hour\n" +
			"is included whole. (invocations --since, by contrast, is exactly that long before now.)\n" +
			"An account owner sees its own account; an admin sees every account unless --account names one.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkReportOutput(&output, OutputTable, OutputJSON, OutputCSV); err != nil {
				return err
			}
			var err error
			if in.From, in.To, err = reportPeriod(time.Now(), since, from, to); err != nil {
				return err
			}
			r, err := o.client().Usage(cmd.Context(), in)
			if err != nil {
				return err
			}
			switch output {
			case OutputJSON:
				return o.printJSON(r)
			case OutputCSV:
				return o.printUsageCSV(r)
			}
			return o.printUsageTable(r)
		},
	}
	cmd.Flags().StringVar(&in.Function, "function", "", "only this function")
	cmd.Flags().StringVar(&in.AccountID, "account", "", "only this account (admin; an owner's is its own)")
	cmd.Flags().StringVar(&in.By, "by", lambdaapi.UsageByDay, "group by day, hour, month or function")
	cmd.Flags().StringVar(&since, "since", "", "the period up to now, from a whole UTC hour: 30d (calendar days, today included), 12h (hours, this one included), 90m (from the start of the hour containing now-90m); default 30 days")
	cmd.Flags().StringVar(&from, "from", "", "start of the period: RFC 3339 or YYYY-MM-DD (UTC)")
	cmd.Flags().StringVar(&to, "to", "", "end of the period, exclusive: RFC 3339 or YYYY-MM-DD (UTC)")
	reportOutputFlag(cmd, &output, OutputTable, OutputJSON, OutputCSV)
	return cmd
}

// reportPeriod turns --since or --from/--to into a period (zero times leave the gateway's
// defaults). --since Nd starts at UTC midnight N-1 days before today's, so it covers N whole
// days to now; Nh the same in whole hours; any other Go duration starts at the start of the UTC
// hour that contains now minus it (usage is counted by hour, by its start: a from in the middle
// of an hour would leave that hour out).
func reportPeriod(now time.Time, since, from, to string) (time.Time, time.Time, error) {
	var f, t time.Time
	var err error
	if since != "" && from != "" {
		return f, t, errors.New("give --since or --from, not both")
	}
	if from != "" {
		if f, err = parseCLITime("--from", from); err != nil {
			return f, t, err
		}
	}
	if to != "" {
		if t, err = parseCLITime("--to", to); err != nil {
			return f, t, err
		}
	}
	if since != "" {
		if f, err = sinceStart(now, since); err != nil {
			return f, t, err
		}
	}
	return f, t, nil
}

// sinceStart is the start of --since s before now (see reportPeriod).
func sinceStart(now time.Time, s string) (time.Time, error) {
	now = now.UTC()
	bad := fmt.Errorf("--since %q: want a count of days (30d), hours (12h) or a duration (90m)", s)
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour}
	if u, ok := unit[s[len(s)-1]]; ok {
		if n, err := strconv.Atoi(s[:len(s)-1]); err == nil {
			if n < 1 {
				return time.Time{}, bad
			}
			return now.Truncate(u).Add(-time.Duration(n-1) * u), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, bad
	}
	return now.Add(-d).Truncate(time.Hour), nil
}

// parseCLITime reads RFC 3339 or a date (its UTC midnight).
func parseCLITime(flag, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s %q: want RFC 3339 (2026-11-01T00:00:00Z) or a date (2026-11-01)", flag, s)
}

// bucketLabel is how a bucket is named in a table or CSV: its period (to the hour, day or
// month), or its function (account/function in a report on every account).
func bucketLabel(r *lambdaapi.UsageReport, b lambdaapi.UsageBucket) string {
	if r.By == lambdaapi.UsageByFunction {
		if b.AccountID != "" {
			return b.AccountID + "/" + b.FunctionName
		}
		return b.FunctionName
	}
	t, err := time.Parse(time.RFC3339, b.Start)
	if err != nil {
		return b.Start
	}
	switch r.By {
	case lambdaapi.UsageByHour:
		return t.UTC().Format("2006-01-02 15:04")
	case lambdaapi.UsageByMonth:
		return t.UTC().Format("2006-01")
	}
	return t.UTC().Format(time.DateOnly)
}

// printUsageTable prints the report as a table with a total line, and a bar of GB-seconds per
// bucket by day or hour; then the cost, and provisioned concurrency's figures when there are.
func (o *options) printUsageTable(r *lambdaapi.UsageReport) error {
	first := "PERIOD"
	if r.By == lambdaapi.UsageByFunction {
		first = "FUNCTION"
	}
	chart := r.By == lambdaapi.UsageByDay || r.By == lambdaapi.UsageByHour
	header := first + "\tREQUESTS\tERRORS\tTHROTTLES\tCOLD\tGB-S\tAVG MS\tCOST (" + r.Currency + ")"
	if chart {
		header += "\tGB-S"
	}
	top := 0.0
	for _, b := range r.Buckets {
		top = max(top, b.GBSeconds.InexactFloat64())
	}
	w := o.table(header)
	row := func(label string, t lambdaapi.UsageTotals, withBar bool) {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%s\t%.1f\t%s", label, t.Requests, t.Errors, t.Throttles, t.ColdStarts,
			t.GBSeconds.StringFixed(3), t.AverageDurationMs, t.TotalCost.StringFixed(6))
		if withBar {
			fmt.Fprintf(w, "\t%s", bar(t.GBSeconds.InexactFloat64(), top, chartWidth))
		}
		fmt.Fprintln(w)
	}
	for _, b := range r.Buckets {
		row(bucketLabel(r, b), b.UsageTotals, chart)
	}
	row("TOTAL", r.Totals, false)
	if err := w.Flush(); err != nil {
		return err
	}
	t := r.Totals
	_, err := fmt.Fprintf(o.stdout, "%s to %s. Cost %s = compute %s + requests %s + storage %s %s, before the free tier "+
		"(the invoice applies it).\n", r.From, r.To, t.TotalCost.StringFixed(6), t.ComputeCost.StringFixed(6),
		t.RequestCost.StringFixed(6), t.StorageCost.StringFixed(6), r.Currency)
	if err != nil || (t.ProvisionedGBSeconds.IsZero() && t.ProvisionedRequests == 0) {
		return err
	}
	_, err = fmt.Fprintf(o.stdout, "Provisioned concurrency: %s GB-s configured; %d of the requests (%s GB-s) ran on "+
		"provisioned environments.\n", t.ProvisionedGBSeconds.StringFixed(3), t.ProvisionedRequests,
		t.ProvisionedInvocationGBSeconds.StringFixed(3))
	return err
}

// printUsageCSV prints one CSV line per bucket, with exact numbers.
func (o *options) printUsageCSV(r *lambdaapi.UsageReport) error {
	w := csv.NewWriter(o.stdout)
	first := "period_start"
	if r.By == lambdaapi.UsageByFunction {
		first = "function"
	}
	_ = w.Write([]string{first, "account", "requests", "errors", "throttles", "cold_starts", "gb_seconds",
		"storage_gb_seconds", "billed_ms", "avg_duration_ms", "compute_cost", "request_cost", "storage_cost",
		"total_cost", "currency", "provisioned_gb_seconds", "provisioned_requests",
		"provisioned_invocation_gb_seconds"}) // errors are kept by the writer until Flush
	for _, b := range r.Buckets {
		label, account := b.Start, r.AccountID
		if r.By == lambdaapi.UsageByFunction {
			label = b.FunctionName
		}
		if b.AccountID != "" {
			account = b.AccountID
		}
		t := b.UsageTotals
		_ = w.Write([]string{label, account, strconv.FormatInt(t.Requests, 10), strconv.FormatInt(t.Errors, 10),
			strconv.FormatInt(t.Throttles, 10), strconv.FormatInt(t.ColdStarts, 10), t.GBSeconds.String(),
			t.StorageGBSeconds.String(), strconv.FormatInt(t.BilledDurationMs, 10),
			strconv.FormatFloat(t.AverageDurationMs, 'f', 3, 64), t.ComputeCost.String(), t.RequestCost.String(),
			t.StorageCost.String(), t.TotalCost.String(), r.Currency, t.ProvisionedGBSeconds.String(),
			strconv.FormatInt(t.ProvisionedRequests, 10), t.ProvisionedInvocationGBSeconds.String()})
	}
	w.Flush()
	return w.Error()
}
