// Command lambdock is the Lambdock CLI: it scaffolds, deploys and invokes functions through the
// gateway's Lambda API. The commands live in client/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/lambdock/lambdock/client/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
