package main

import (
	"context"
	"net/http"
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
