// Command consolefn is the function of the console test: it prints the event's "print" to
// stdout (the log) and returns its "output" as a JSON string (the result).
package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	Print  string `json:"print"`
	Output string `json:"output"`
}

func main() {
	lambda.Start(func(_ context.Context, ev event) (string, error) {
		fmt.Println(ev.Print)
		return ev.Output, nil
	})
}
