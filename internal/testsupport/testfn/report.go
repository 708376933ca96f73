package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// report POSTs the invocation's request id to ev.URL, sleeps ev.MS and returns {"reported":id}:
// a test outside the container counts which invocations ran, and how often.
func report(ctx context.Context, ev event) (any, error) {
	lc, ok := lambdacontext.FromContext(ctx)
	if !ok {
		return nil, fmt.Errorf("report: no Lambda context")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ev.URL, strings.NewReader(lc.AwsRequestID))
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return nil, fmt.Errorf("report: %s answered %s", ev.URL, resp.Status)
	}
	time.Sleep(time.Duration(ev.MS) * time.Millisecond)
	return map[string]string{"reported": lc.AwsRequestID}, nil
}
