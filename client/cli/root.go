// Package cli implements the lambdock command line: init, deploy, invoke, list, describe,
// delete, concurrency, url, queue-trigger and runtimes. cmd/lambdock only calls Main.
//
// Every command talks to the gateway's HTTP API through client/lambdaclient, exactly like any
// AWS client would: an endpoint (--endpoint, LAMBDOCK_ENDPOINT, default http://127.0.0.1:8070)
// and requests signed with SigV4 by the access key client/credentials finds (--profile,
// AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, lambdockd's <data-dir>/credentials,
// ~/.aws/credentials); without any key requests go unsigned, which only a lambdockd started with
// --insecure accepts. Deploy and BuildZip are plain functions so that other tests can
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

	"github.com/lambdock/lambdock/client/credentials"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/cmd/lambdockd/config"
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
	profile  string
	region   string
	creds    *credentials.Found // nil: unsigned
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
}

// client is the API client for --endpoint, signing with the credentials found.
func (o *options) client() *lambdaclient.Client {
	if o.creds == nil {
		return lambdaclient.New(o.endpoint)
	}
	return lambdaclient.New(o.endpoint, lambdaclient.WithCredentials(o.creds.Credentials, o.region))
}

// findCredentials looks for the access key to sign with; none found is not an error.
func (o *options) findCredentials() error {
	src := credentials.Sources{Profile: o.profile}
	if dir, err := config.DataDir(os.Getenv); err == nil { // no home directory: skip lambdockd's file
		src.DataDir = dir
	}
	found, err := credentials.Find(src)
	switch {
	case errors.Is(err, credentials.ErrNotFound) && o.profile == "" && os.Getenv(credentials.EnvProfile) == "":
		return nil
	case err != nil:
		return fmt.Errorf("credentials: %w", err)
	}
	o.creds = &found
	return nil
}

// defaultRegion is AWS_REGION, else AWS_DEFAULT_REGION, else lambdaclient.DefaultRegion.
func defaultRegion() string {
	for _, name := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := os.Getenv(name); r != "" {
			return r
		}
	}
	return lambdaclient.DefaultRegion
}

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
			"Requests are signed with the first access key found in: --profile or AWS_PROFILE, " +
			"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, lambdockd's <data-dir>/credentials (profile lambdock), " +
			"~/.aws/credentials (profile default).\n\n" +
			"Exit status: 0 on success, 3 when an invoked function returned an error, 1 otherwise.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if o.output != OutputText && o.output != OutputJSON {
				return fmt.Errorf("-o must be %q or %q, not %q", OutputText, OutputJSON, o.output)
			}
			return o.findCredentials()
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().StringVar(&o.endpoint, "endpoint", endpoint, "gateway URL (env "+EnvEndpoint+")")
	root.PersistentFlags().StringVarP(&o.output, "output", "o", OutputText, "output format of read commands: text or json")
	root.PersistentFlags().StringVar(&o.profile, "profile", "", "credentials profile (env AWS_PROFILE; default: see lambdock help)")
	root.PersistentFlags().StringVar(&o.region, "region", defaultRegion(), "region to sign for (env AWS_REGION)")
	root.AddCommand(
		newInitCommand(stdout),
		newDeployCommand(o),
		newInvokeCommand(o),
		newStatusCommand(o),
		newListCommand(o),
		newDescribeCommand(o),
		newDeleteCommand(o),
		newConcurrencyCommand(o),
		newProvisionCommand(o),
		newAccountsCommand(o),
		newKeysCommand(o),
		newLayerCommand(o),
	)
	root.AddCommand(newURLCommand(o))
	root.AddCommand(newQueueTriggerCommand(o))
	root.AddCommand(newEventConfigCommand(o))
	root.AddCommand(newScheduleCommand(o))
	root.AddCommand(newRuntimesCommand(o))
	root.AddCommand(newInvoiceCommand(o))
	root.AddCommand(newPricesCommand(o))
	root.AddCommand(newUsageCommand(o))
	root.AddCommand(newInvocationsCommand(o))
	root.AddCommand(newLogsCommand(o))
	root.AddCommand(newPublishCommand(o), newVersionsCommand(o), newAliasCommand(o), newAliasesCommand(o),
		newRollbackCommand(o))
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
