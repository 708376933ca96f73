package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// defaultLogsSince is how far back `lambdock logs` reads without --since (the API's default).
const defaultLogsSince = time.Hour

// ANSI colours of logs lines on a terminal.
const (
	ansiReport = "\x1b[36m" // cyan: REPORT lines
	ansiError  = "\x1b[31m" // red: timeouts, errors, a REPORT with an error status
	ansiReset  = "\x1b[0m"
)

// newLogsCommand is `lambdock logs NAME`: a function's log lines, oldest first, and with -f the
// lines stored after them as they come.
func newLogsCommand(o *options) *cobra.Command {
	var in lambdaclient.GetFunctionLogsInput
	var since, until string
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs NAME",
		Short: "Show a function's log lines; -f follows them",
		Long: "Show the log lines of a function, oldest first, with their time (UTC): what the function printed, and the\n" +
			"platform's START, END and REPORT lines. --since and --until take RFC 3339 times or a duration before now\n" +
			"(10m, 2h, 7d; --since defaults to 1h before --until or now, and to none with --next-token); --request-id keeps one invocation's lines; --filter those that\n" +
			"contain the text (case-sensitive); --limit (1-10000, default 1000) is the most lines shown, and --next-token\n" +
			"continues a listing. -f prints the lines, then follows: new lines appear as they are stored, until Ctrl-C.\n" +
			"-f reconnects by itself after the last line shown when the connection fails or goes silent (45 s).\n" +
			"On a terminal REPORT lines are coloured (red for a timeout or an error; not with NO_COLOR set). -o json prints the page as JSON,\n" +
			"or with -f one JSON event per line.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			now := time.Now()
			if in.Since, err = parseLogsFlagTime("--since", since, now); err != nil {
				return err
			}
			if in.Until, err = parseLogsFlagTime("--until", until, now); err != nil {
				return err
			}
			// Without --since: the hour before --until (else now); with --next-token the token
			// fixes the start, and a default would skip the lines between it and that hour.
			switch {
			case !in.Since.IsZero() || in.NextToken != "":
			case !in.Until.IsZero():
				in.Since = in.Until.Add(-defaultLogsSince)
			default:
				in.Since = now.Add(-defaultLogsSince)
			}
			if follow && !in.Until.IsZero() {
				return fmt.Errorf("--until cannot be used with -f: a follow has no end")
			}
			p := &logPrinter{o: o, colour: isTerminal(o.stdout) && os.Getenv("NO_COLOR") == "", stream: follow}
			page, err := o.client().GetFunctionLogs(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			if err := p.page(page); err != nil || !follow {
				return err
			}
			// Follow on after the last line printed (or the token the page started after), else
			// from --since: nothing stored since the page was read is missed.
			f := lambdaclient.FollowLogsInput{Since: in.Since, RequestID: in.RequestID, Filter: in.Filter,
				LastEventID: in.NextToken}
			if n := len(page.Events); n > 0 {
				f.LastEventID = page.Events[n-1].EventID
			}
			return followLogs(cmd.Context(), o, args[0], f, p.event)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "after the lines, follow new ones as they are stored (until Ctrl-C)")
	cmd.Flags().StringVar(&since, "since", "", "the earliest lines: RFC 3339 or a duration before now, 10m, 2h, 7d (default 1h before --until or now; none with --next-token)")
	cmd.Flags().StringVar(&until, "until", "", "the latest lines: RFC 3339 or a duration before now")
	cmd.Flags().StringVar(&in.RequestID, "request-id", "", "only the lines of this invocation")
	cmd.Flags().StringVar(&in.Filter, "filter", "", "only the lines that contain this text (case-sensitive)")
	cmd.Flags().IntVar(&in.Limit, "limit", 0, "the most lines shown, 1-10000 (default 1000)")
	cmd.Flags().StringVar(&in.NextToken, "next-token", "", "continue a listing (the token it ended with)")
	return cmd
}

// Reconnection of `lambdock logs -f`.
const (
	// followIdle ends a connection that says nothing for that long (the gateway sends a
	// keep-alive every 15 s): it is presumably dead, and the follow reconnects.
	followIdle = 45 * time.Second
	// followRetryMin and followRetryMax bound the wait before a reconnection (doubling from the
	// first; back to the first once a connection delivered a line).
	followRetryMin = time.Second
	followRetryMax = 30 * time.Second
)

// followLogs follows until ctx ends (Ctrl-C): when the connection goes silent, ends or fails, it
// reconnects after the last line printed (Last-Event-ID), waiting a bounded backoff. An error of
// print, or a refusal of the gateway (4xx), ends it.
func followLogs(ctx context.Context, o *options, function string, f lambdaclient.FollowLogsInput,
	print func(lambdaclient.LogStreamEvent) error) error {
	f.IdleTimeout = followIdle
	wait := followRetryMin
	for {
		var printErr error
		delivered := false
		err := o.client().FollowFunctionLogs(ctx, function, f, func(ev lambdaclient.LogStreamEvent) error {
			if printErr = print(ev); printErr != nil {
				return printErr
			}
			if ev.Event != nil {
				f.LastEventID, delivered = ev.Event.EventID, true
			}
			return nil
		})
		var apiErr *lambdaclient.APIError
		switch {
		case ctx.Err() != nil:
			return nil
		case printErr != nil:
			return printErr
		case errors.As(err, &apiErr) && apiErr.Status < http.StatusInternalServerError && apiErr.Status != http.StatusTooManyRequests:
			return err
		}
		if delivered {
			wait = followRetryMin
		}
		fmt.Fprintf(o.stderr, "lambdock: the log stream stopped (%v); reconnecting in %s\n", err, wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, followRetryMax)
	}
}

// parseLogsFlagTime reads --since or --until: "" (zero), RFC 3339, or a duration before now (10m,
// 2h, 7d).
func parseLogsFlagTime(flag, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := parseSinceDuration(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want an RFC 3339 time or a duration such as 10m, 2h or 7d", flag, s)
	}
	return now.Add(-d), nil
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

// logPrinter prints log lines as text (coloured on a terminal) or JSON.
type logPrinter struct {
	o      *options
	colour bool
	stream bool // -f: JSON output is one event per line
}

// page prints a page: its lines, then (text) what was dropped and how to continue.
func (p *logPrinter) page(out *lambdaapi.GetFunctionLogsOutput) error {
	if p.o.output == OutputJSON && !p.stream {
		return p.o.printJSON(out)
	}
	for i := range out.Events {
		if err := p.event(lambdaclient.LogStreamEvent{Event: &out.Events[i]}); err != nil {
			return err
		}
	}
	if out.DroppedLines > 0 {
		if err := p.event(lambdaclient.LogStreamEvent{Dropped: out.DroppedLines}); err != nil {
			return err
		}
	}
	if out.NextToken != "" && !p.stream {
		fmt.Fprintf(p.o.stderr, "More lines: --next-token %s\n", out.NextToken)
	}
	return nil
}

// event prints one line or dropped-lines notice.
func (p *logPrinter) event(ev lambdaclient.LogStreamEvent) error {
	if p.o.output == OutputJSON {
		var v any = lambdaapi.LogsDropped{DroppedLines: ev.Dropped}
		if ev.Event != nil {
			v = ev.Event
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode output: %w", err)
		}
		_, err = fmt.Fprintf(p.o.stdout, "%s\n", b)
		return err
	}
	if ev.Event == nil {
		_, err := fmt.Fprintf(p.o.stderr, "lambdock: %d log lines were dropped on their way to the store\n", ev.Dropped)
		return err
	}
	e := ev.Event
	at := time.UnixMilli(e.Timestamp).UTC()
	if t, err := time.Parse(time.RFC3339Nano, e.Time); err == nil {
		at = t.UTC()
	}
	line := strings.TrimRight(e.Message, "\n")
	if c := lineColour(e); c != "" && p.colour {
		line = c + line + ansiReset
	}
	_, err := fmt.Fprintf(p.o.stdout, "%s %s\n", at.Format("2006-01-02T15:04:05.000Z07:00"), line)
	return err
}

// lineColour is the colour of a line on a terminal ("" for none): REPORT lines, and in red the
// timeout line, REPORTs of failed invocations and lines that say ERROR.
func lineColour(e *lambdaapi.FunctionLogEvent) string {
	m := e.Message
	switch {
	case strings.Contains(m, "Task timed out after"), strings.HasPrefix(m, "REPORT ") &&
		(strings.Contains(m, "Status: timeout") || strings.Contains(m, "Status: error")):
		return ansiError
	case strings.HasPrefix(m, "REPORT "):
		return ansiReport
	case strings.Contains(m, "[ERROR]"), strings.HasPrefix(m, "ERROR"):
		return ansiError
	}
	return ""
}
