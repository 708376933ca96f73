// Command lambdock-agent is the entrypoint (PID 1) of every Lambdock function container. It
// serves the Lambda Runtime API to the function's runtime and the control channel to the
// invoker; see package github.com/lambdock/lambdock/runtime-api/agent.
//
// Build it static: CGO_ENABLED=0 go build -o agent ./cmd/lambdock-agent
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/runtime-api/agent"
)

func main() {
	channelDir := flag.String("channel", agentproto.ChannelDir, "channel directory holding config.json and the agent socket")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	a, err := agent.New(agent.Options{ChannelDir: *channelDir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "lambdock-agent:", err)
		os.Exit(1)
	}
	if err := a.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "lambdock-agent:", err)
	}
	// A clean stop is exit 0 whatever the runtime did: the runtime's failures were reported on
	// the channel already.
}
