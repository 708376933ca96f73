package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// invokeResult is `lambdock invoke -o json`'s output.
type invokeResult struct {
	StatusCode      int             `json:"StatusCode"`
	FunctionError   string          `json:"FunctionError,omitempty"`
	ExecutedVersion string          `json:"ExecutedVersion"`
	RequestID       string          `json:"RequestId"`
	Payload         json.RawMessage `json:"Payload,omitempty"`
	PayloadText     string          `json:"PayloadText,omitempty"` // a payload that is not JSON
	LogResult       string          `json:"LogResult,omitempty"`
}

// newInvokeCommand is `lambdock invoke NAME[:QUALIFIER] [-d JSON | -d @file | -d @-] [--async]`:
// the qualifier (a version or an alias) travels in the function name, as Lambda accepts it.
func newInvokeCommand(o *options) *cobra.Command {
	var data string
	var logTail, async bool
	cmd := &cobra.Command{
		Use:   "invoke NAME[:QUALIFIER]",
		Short: "Invoke a function and print its result",
		Long: "Invoke a function synchronously and print the result payload to stdout.\n" +
			"NAME:2 invokes version 2, NAME:prod the alias prod (-o json shows the ExecutedVersion).\n" +
			"When the function fails, its error JSON goes to stderr and the exit status is 3.\n" +
			"With --async the event is queued (X-Amz-Invocation-Type: Event) and its request id is printed;\n" +
			"follow it with `lambdock status ID --wait`.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			payload, err := readPayload(data, o.stdin)
			if err != nil {
				return err
			}
			if async {
				if logTail {
					return fmt.Errorf("--log needs a synchronous invocation; it cannot go with --async")
				}
				return o.invokeAsync(cmd.Context(), args[0], payload)
			}
			out, err := o.client().Invoke(cmd.Context(), &lambdaclient.InvokeInput{
				FunctionName: args[0], Payload: payload, LogTail: logTail,
			})
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printInvokeJSON(out)
			}
			if logTail && len(out.LogResult) > 0 {
				fmt.Fprint(o.stderr, withNewline(string(out.LogResult)))
			}
			if out.FunctionError != "" {
				fmt.Fprint(o.stderr, withNewline(string(out.Payload)))
				return &exitError{code: ExitFunctionError}
			}
			fmt.Fprint(o.stdout, withNewline(string(out.Payload)))
			return nil
		},
	}
	cmd.Flags().StringVarP(&data, "data", "d", "", "event: JSON, @FILE, or @- for stdin (default: none, the function gets {})")
	cmd.Flags().BoolVar(&logTail, "log", false, "print the last 4 KB of the invocation's log to stderr")
	cmd.Flags().BoolVar(&async, "async", false, "queue the event (asynchronous invocation) and print its request id")
	return cmd
}

// invokeAsync queues an event and prints its request id (-o json: {"StatusCode","RequestId"}).
func (o *options) invokeAsync(ctx context.Context, name string, payload []byte) error {
	out, err := o.client().Invoke(ctx, &lambdaclient.InvokeInput{
		FunctionName: name, Payload: payload, InvocationType: lambdaapi.InvocationEvent,
	})
	if err != nil {
		return err
	}
	if o.output == OutputJSON {
		return o.printJSON(struct {
			StatusCode int    `json:"StatusCode"`
			RequestID  string `json:"RequestId"`
		}{out.StatusCode, out.RequestID})
	}
	fmt.Fprintln(o.stdout, out.RequestID)
	return nil
}

// printInvokeJSON prints the whole invocation outcome; a function error still exits 3.
func (o *options) printInvokeJSON(out *lambdaclient.InvokeOutput) error {
	res := invokeResult{
		StatusCode: out.StatusCode, FunctionError: out.FunctionError,
		ExecutedVersion: out.ExecutedVersion, RequestID: out.RequestID, LogResult: string(out.LogResult),
	}
	if json.Valid(out.Payload) {
		res.Payload = out.Payload
	} else {
		res.PayloadText = string(out.Payload)
	}
	if err := o.printJSON(res); err != nil {
		return err
	}
	if out.FunctionError != "" {
		return &exitError{code: ExitFunctionError}
	}
	return nil
}

// readPayload reads -d: literal JSON, @FILE or @- (stdin); "" is no payload.
func readPayload(data string, stdin io.Reader) ([]byte, error) {
	switch {
	case data == "":
		return nil, nil
	case data == "@-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read event from stdin: %w", err)
		}
		return bytes.TrimSpace(b), nil
	case strings.HasPrefix(data, "@"):
		b, err := os.ReadFile(data[1:])
		if err != nil {
			return nil, fmt.Errorf("read event: %w", err)
		}
		return bytes.TrimSpace(b), nil
	}
	return []byte(data), nil
}

// withNewline ends s with a newline.
func withNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
