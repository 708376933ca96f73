// Package cli implements the lambdock command line: init, deploy, invoke, list, describe,
// delete, concurrency and url. cmd/lambdock only calls Main.
//
// Every command talks to the gateway's HTTP API through client/lambdaclient, exactly like any
// AWS client would, so the CLI needs nothing but an endpoint (--endpoint, LAMBDOCK_ENDPOINT,
// default http://127.0.0.1:8070). Deploy and BuildZip are plain functions so that other tests can
// deploy a project without going through cobra.
//
// Exit status: 0 on success, 3 when an invoked function returned an error (the error JSON goes
// to stderr), 1 for anything else (API errors, usage errors, build failures).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
)

// Exit statuses of Main.
const (
	ExitOK            = 0
	ExitFailure       = 1
	ExitFunctionError = 3
)

// EnvEndpoint names the environment variable with the gateway endpoint.
const EnvEndpoint = "LAMBDOCK_ENDPOINT"

// Output formats of -o.
const (
	OutputText = "text"
	OutputJSON = "json"
)

// options are the global flags and the streams every command writes to.
type options struct {
	endpoint string
	output   string
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
}

// client is the API client for --endpoint.
func (o *options) client() *lambdaclient.Client { return lambdaclient.New(o.endpoint) }

// exitError carries a specific exit status; its message, if any, was already printed.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// NewCommand builds the lambdock command tree writing to the given streams.
func NewCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	o := &options{stdin: stdin, stdout: stdout, stderr: stderr}
	endpoint := os.Getenv(EnvEndpoint)
	if endpoint == "" {
		endpoint = lambdaclient.DefaultEndpoint
	}
	root := &cobra.Command{
		Use:   "lambdock",
		Short: "Deploy and run Lambda functions on a Lambdock platform",
		Long: "Deploy and run Lambda functions on a Lambdock platform through its Lambda API.\n\n" +
			"Exit status: 0 on success, 3 when an invoked function returned an error, 1 otherwise.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if o.output != OutputText && o.output != OutputJSON {
				return fmt.Errorf("-o must be %q or %q, not %q", OutputText, OutputJSON, o.output)
			}
			return nil
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&o.endpoint, "endpoint", endpoint, "gateway URL (env "+EnvEndpoint+")")
	root.PersistentFlags().StringVarP(&o.output, "output", "o", OutputText, "output format of read commands: text or json")
	root.AddCommand(
		newInitCommand(stdout),
		newDeployCommand(o),
		newInvokeCommand(o),
		newListCommand(o),
		newDescribeCommand(o),
		newDeleteCommand(o),
		newConcurrencyCommand(o),
	)
	root.AddCommand(newURLCommand(o))
	return root
}

// Main runs the CLI with args (without the program name) and returns the exit status.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := NewCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var exit *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &exit):
		return exit.code
	}
	fmt.Fprintln(stderr, "lambdock:", err)
	if opErr := (*net.OpError)(nil); errors.As(err, &opErr) && opErr.Op == "dial" {
		fmt.Fprintf(stderr, "lambdock: is the gateway running? Set --endpoint or %s.\n", EnvEndpoint)
	}
	return ExitFailure
}
