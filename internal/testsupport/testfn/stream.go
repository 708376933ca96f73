package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"
)

// streamHandler is an http.Handler, served through lambdaurl.Wrap, that streams chunks: status
// 201 with Content-Type text/plain and X-Stream: yes, the first chunk at once, each further one
// ms milliseconds after the previous. With hold it then never returns (the function times out),
// so a reader that got the first chunk got it while the function was still running.
func streamHandler(chunks []string, ms int, hold bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Stream", "yes")
		w.WriteHeader(http.StatusCreated)
		for i, c := range chunks {
			if i > 0 {
				time.Sleep(time.Duration(ms) * time.Millisecond)
			}
			if _, err := w.Write([]byte(c)); err != nil {
				return
			}
		}
		if hold {
			<-r.Context().Done() // the function's deadline; the platform kills it first
			time.Sleep(time.Hour)
		}
	})
}

// stream answers {"op":"stream",…} with a streamed function URL response (the prelude, then
// the chunks as streamHandler writes them).
func stream(ctx context.Context, ev event) (*events.LambdaFunctionURLStreamingResponse, error) {
	req := &events.LambdaFunctionURLRequest{RawPath: "/", RequestContext: events.LambdaFunctionURLRequestContext{
		DomainName: "testfn", HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: http.MethodGet}}}
	return lambdaurl.Wrap(streamHandler(ev.Chunks, ev.MS, ev.Hold))(ctx, req)
}

// streamURL answers a function URL event whose path is /stream by streaming through
// lambdaurl.Wrap: the query's chunk parameters in order (each ms apart), then, with bytes=n, n
// bytes of the pattern 0, 1, …, 255, 0, … as a last chunk; hold=1 then never returns.
func streamURL(ctx context.Context, raw json.RawMessage) (*events.LambdaFunctionURLStreamingResponse, bool, error) {
	var req events.LambdaFunctionURLRequest
	if err := json.Unmarshal(raw, &req); err != nil || req.RawPath != "/stream" {
		return nil, false, nil
	}
	q := req.QueryStringParameters
	chunks := strings.Split(q["chunks"], ",")
	ms, _ := strconv.Atoi(q["ms"])
	if n, _ := strconv.Atoi(q["bytes"]); n > 0 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i)
		}
		chunks = append(chunks, string(b))
	}
	res, err := lambdaurl.Wrap(streamHandler(chunks, ms, q["hold"] == "1"))(ctx, &req)
	return res, true, err
}
