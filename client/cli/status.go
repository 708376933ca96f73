package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// statusPoll is how often `lambdock status --wait` asks again.
const statusPoll = 500 * time.Millisecond

// newStatusCommand is `lambdock status ID [--wait] [--timeout D]`.
func newStatusCommand(o *options) *cobra.Command {
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "status REQUEST_ID",
		Short: "Show where an asynchronous invocation is",
		Long: "Show the status of an asynchronous invocation (lambdock invoke --async): queued, running,\n" +
			"retrying, succeeded, failed or expired. With --wait, follow it until it is succeeded, failed\n" +
			"or expired (at most --timeout). The exit status is 3 when it failed or expired, 1 when\n" +
			"--timeout ran out first.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var st *lambdaapi.InvocationStatus
			var err error
			if wait {
				st, err = waitInvocation(cmd.Context(), o.client(), args[0], timeout)
			} else {
				st, err = o.client().GetInvocation(cmd.Context(), args[0])
			}
			if st == nil {
				return err
			}
			if perr := o.printStatus(st); perr != nil {
				return perr
			}
			if err != nil {
				return err
			}
			if st.Status == lambdaapi.InvocationFailed || st.Status == lambdaapi.InvocationExpired {
				return &exitError{code: ExitFunctionError}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the invocation succeeded, failed or expired")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long --wait waits")
	return cmd
}

// waitInvocation polls the invocation's status until it is final or timeout ran out; then it
// returns the last status seen with an error.
func waitInvocation(ctx context.Context, c *lambdaclient.Client, id string, timeout time.Duration) (*lambdaapi.InvocationStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last *lambdaapi.InvocationStatus
	for {
		st, err := c.GetInvocation(ctx, id)
		switch {
		case err == nil:
			last = st
			if st.Final() {
				return st, nil
			}
		case ctx.Err() == nil:
			return last, err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				return nil, fmt.Errorf("no status of %s within %s: %w", id, timeout, errors.Join(err, ctx.Err()))
			}
			return last, fmt.Errorf("invocation %s is still %s after %s", id, last.Status, timeout)
		case <-time.After(statusPoll):
		}
	}
}

// printStatus prints a status: the JSON with -o json, else one field a line.
func (o *options) printStatus(st *lambdaapi.InvocationStatus) error {
	if o.output == OutputJSON {
		return o.printJSON(st)
	}
	w := o.table("")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%s\t%s\n", k, v)
		}
	}
	row("RequestId", st.RequestID)
	row("FunctionArn", st.FunctionArn)
	row("Status", st.Status)
	row("Attempt", fmt.Sprint(st.Attempt))
	row("NextAttemptAt", st.NextAttemptAt)
	row("ErrorType", st.ErrorType)
	row("Condition", st.Condition)
	row("EnqueuedAt", st.EnqueuedAt)
	row("LastModified", st.LastModified)
	return w.Flush()
}
