// Command gofn is a real aws-lambda-go function that the agent's tests run as the runtime.
// The event's "action" picks what it does.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action string `json:"action"`
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	switch ev.Action {
	case "echo":
		fmt.Println("echo: function log line")
		return raw, nil
	case "context":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		return map[string]any{
			"requestId":  lc.AwsRequestID,
			"arn":        lc.InvokedFunctionArn,
			"deadlineMs": deadline.UnixMilli(),
			"traceId":    os.Getenv("_X_AMZN_TRACE_ID"),
		}, nil
	case "error":
		return nil, errors.New("boom")
	case "panic":
		panic("kaboom")
	case "exit":
		fmt.Println("exit: leaving with status 3")
		os.Exit(3)
	case "alloc": // grows until the memory limit's OOM killer stops it
		var hog [][]byte
		for {
			b := make([]byte, 16<<20)
			for i := range b {
				b[i] = 1
			}
			hog = append(hog, b)
		}
	case "sleep":
		time.Sleep(time.Hour)
	}
	return nil, fmt.Errorf("unknown action %q", ev.Action)
}

func main() {
	fmt.Println("init: function starting")
	lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(func() {
		fmt.Println("SIGTERM received")
		os.Exit(0)
	}))
}
