package lambdaclient

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// InvokeInput is one Invoke call.
type InvokeInput struct {
	FunctionName   string
	Payload        []byte // JSON; nil sends an empty body (the function gets {})
	InvocationType string // RequestResponse (default), Event or DryRun
	LogTail        bool   // ask for the last 4 KB of the log (X-Amz-Log-Type: Tail)
	ClientContext  []byte // JSON object, base64-encoded on the wire
	Qualifier      string
}

// InvokeOutput is the answer of a successful Invoke call. A function error is a successful call
// with FunctionError set and the error JSON as Payload.
type InvokeOutput struct {
	StatusCode      int
	Payload         []byte
	ContentType     string
	FunctionError   string // X-Amz-Function-Error, "" on success
	ExecutedVersion string
	LogResult       []byte // decoded X-Amz-Log-Result
	RequestID       string
}

// Invoke invokes a function.
func (c *Client) Invoke(ctx context.Context, in *InvokeInput) (*InvokeOutput, error) {
	r := request{method: http.MethodPost, path: functionPath(in.FunctionName, "/invocations"), header: http.Header{}, body: in.Payload}
	if in.Payload == nil {
		r.body = []byte{}
	}
	if in.InvocationType != "" {
		r.header.Set(lambdaapi.HeaderInvocationType, in.InvocationType)
	}
	if in.LogTail {
		r.header.Set(lambdaapi.HeaderLogType, lambdaapi.LogTypeTail)
	}
	if len(in.ClientContext) > 0 {
		r.header.Set(lambdaapi.HeaderClientContext, base64.StdEncoding.EncodeToString(in.ClientContext))
	}
	if in.Qualifier != "" {
		r.query = url.Values{"Qualifier": {in.Qualifier}}
	}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	out := &InvokeOutput{
		StatusCode:      resp.status,
		Payload:         resp.body,
		ContentType:     resp.header.Get("Content-Type"),
		FunctionError:   resp.header.Get(lambdaapi.HeaderFunctionError),
		ExecutedVersion: resp.header.Get(lambdaapi.HeaderExecutedVer),
		RequestID:       resp.header.Get(lambdaapi.HeaderRequestID),
	}
	if lr := resp.header.Get(lambdaapi.HeaderLogResult); lr != "" {
		if out.LogResult, err = base64.StdEncoding.DecodeString(lr); err != nil {
			return out, fmt.Errorf("lambdaclient: decode %s: %w", lambdaapi.HeaderLogResult, err)
		}
	}
	return out, nil
}
