package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
	"github.com/lambdock/lambdock/invoker/agentclient"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// provisionWait bounds the wait for three provisioned environments to be READY.
const provisionWait = 3 * time.Minute

// TestProvisionedConcurrency is issue 13's must-show 3: provisioned concurrency 3 on the alias
// prod (set with `lambdock provision NAME:prod 3 --wait`) makes three environments of its
// version exist and finish their init before the first call; the first call is warm (its
// REPORT line has no Init Duration, and no new container starts) and its environment says
// AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency, while $LATEST's on-demand one says
// on-demand. Provisioned concurrency takes its share of the function's reservation: three
// concurrent calls run on it, nothing more. Deleting the configuration tears the environments
// down.
func TestProvisionedConcurrency(t *testing.T) {
	need(t)
	cfg := newConfig(dataDir(t), "e2e-pc-"+randomID())
	l := start(t, cfg)
	name := "e2e-pc-" + randomID()
	l.deploy(t, name, 128, 10)
	publishAlias(t, l, name, "prod")

	creds, err := lambdockdtest.AdminCredentials(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ACCESS_KEY_ID", creds.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", creds.SecretAccessKey)
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), provisionWait+callTimeout)
	defer cancel()
	begin := time.Now()
	code := cli.Main(ctx, []string{"--endpoint", l.url, "provision", name + ":prod", "3", "--wait", provisionWait.String()},
		strings.NewReader(""), &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "READY, 3 of 3") {
		t.Fatalf("lambdock provision: exit %d: %s%s", code, out.String(), errOut.String())
	}
	t.Logf("READY after %s: %s", time.Since(begin).Round(time.Millisecond), strings.TrimSpace(out.String()))
	got, err := l.client.GetProvisionedConcurrency(ctx, name, "prod")
	if err != nil || got.Status != lambdaapi.ProvisionedReady || got.AllocatedProvisionedConcurrentExecutions != 3 ||
		got.AvailableProvisionedConcurrentExecutions != 3 || got.RequestedProvisionedConcurrentExecutions != 3 {
		t.Fatalf("GetProvisionedConcurrencyConfig: %+v, %v", got, err)
	}

	// Before any call: three containers of version 1, each with its init done.
	before := versionContainers(t, name, "1")
	if len(before) != 3 {
		t.Fatalf("%d containers of %s:1 before the first call, want 3: %v", len(before), name, describe(before))
	}
	for _, c := range before {
		if c.State != "running" {
			t.Fatalf("container %s is %s", c.ID[:12], c.State)
		}
		initDone(t, c)
	}

	// The first call through the alias: warm, on a provisioned environment.
	r := l.invokeWith(t, name+":prod", `{"op":"env"}`, map[string]string{lambdaapi.HeaderLogType: lambdaapi.LogTypeTail})
	if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" {
		t.Fatalf("invoke %s:prod: %v", name, r)
	}
	if v := r.header.Get(lambdaapi.HeaderExecutedVer); v != "1" {
		t.Errorf("%s = %q, want 1", lambdaapi.HeaderExecutedVer, v)
	}
	report, err := parseReport(r.header.Get(lambdaapi.HeaderLogResult), r.header.Get(lambdaapi.HeaderRequestID))
	if err != nil {
		t.Fatal(err)
	}
	if report.initUs != 0 {
		t.Errorf("the first call on provisioned concurrency has an Init Duration of %d µs", report.initUs)
	}
	var env map[string]string
	r.decode(t, &env)
	if got := env["AWS_LAMBDA_INITIALIZATION_TYPE"]; got != "provisioned-concurrency" {
		t.Errorf("AWS_LAMBDA_INITIALIZATION_TYPE = %q through prod, want provisioned-concurrency", got)
	}
	if after := versionContainers(t, name, "1"); len(after) != 3 {
		t.Errorf("%d containers of %s:1 after the first call, want the same 3: %v", len(after), name, describe(after))
	}

	// $LATEST has no provisioned concurrency: an on-demand environment.
	r = l.invoke(t, name, `{"op":"env"}`)
	env = nil
	r.decode(t, &env)
	if got := env["AWS_LAMBDA_INITIALIZATION_TYPE"]; r.status != http.StatusOK || got != "on-demand" {
		t.Errorf("AWS_LAMBDA_INITIALIZATION_TYPE = %q on $LATEST (%v), want on-demand", got, r)
	}

	// Provisioned concurrency counts against the reservation: with 3 reserved and 3 provisioned,
	// the three provisioned environments take three calls at once, and nothing is left on
	// demand (a fourth call through prod, or one of $LATEST, is throttled).
	putConcurrency(t, l, name, 3)
	held := make(chan response, 3)
	for range 3 {
		go func() {
			cctx, ccancel := context.WithTimeout(context.Background(), callTimeout)
			defer ccancel()
			held <- post(cctx, l.http, l.url+"/2015-03-31/functions/"+name+":prod/invocations", `{"op":"sleep","ms":3000}`)
		}()
	}
	eventually(t, func() string {
		if n := l.srv.InFlight(); n != 3 {
			return fmt.Sprintf("%d invocations in flight, want the 3 on provisioned environments", n)
		}
		return ""
	})
	for _, fn := range []string{name + ":prod", name} {
		if r := l.invoke(t, fn, `{"op":"echo"}`); r.status != http.StatusTooManyRequests {
			t.Errorf("invoke %s with the reservation taken by provisioned concurrency: %v, want 429", fn, r)
		}
	}
	for range 3 {
		if r := <-held; r.status != http.StatusOK {
			t.Errorf("a call on a provisioned environment: %v", r)
		}
	}
	if err := l.client.DeleteConcurrency(ctx, name); err != nil {
		t.Fatal(err)
	}

	// Deleting the configuration tears the environments down.
	if err := l.client.DeleteProvisionedConcurrency(ctx, name, "prod"); err != nil {
		t.Fatal(err)
	}
	eventuallyFor(t, time.Minute, func() string {
		var running []container.Summary
		for _, c := range versionContainers(t, name, "1") {
			if c.State == "running" {
				running = append(running, c)
			}
		}
		if len(running) > 0 {
			return fmt.Sprintf("%d containers of %s:1 still run after the delete", len(running), name)
		}
		return ""
	})
}

// publishAlias publishes $LATEST of the function as a version and points alias at it, through
// the API.
func publishAlias(t *testing.T, l *lambdockd, fn, alias string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	v, err := l.client.PublishVersion(ctx, fn, &lambdaapi.PublishVersionInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.client.CreateAlias(ctx, fn, &lambdaapi.CreateAliasInput{Name: alias, FunctionVersion: v.Version}); err != nil {
		t.Fatal(err)
	}
}

// versionContainers lists the containers of a function's version.
func versionContainers(t *testing.T, fn, version string) []container.Summary {
	t.Helper()
	return containers(t, sandbox.LabelFunction+"="+fn, sandbox.LabelVersion+"="+version)
}

// initDone checks, through the container's agent, that its environment's first init has ended:
// the agent answers agentproto.PathInit at once then.
func initDone(t *testing.T, c container.Summary) {
	t.Helper()
	var dir string
	for _, m := range c.Mounts {
		if m.Destination == agentproto.ChannelDir {
			dir = m.Source
		}
	}
	if dir == "" {
		t.Fatalf("container %s has no channel directory mounted at %s", c.ID[:12], agentproto.ChannelDir)
	}
	agent, err := agentclient.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := agent.WaitInit(ctx); err != nil {
		t.Fatalf("container %s: the agent does not report its init done: %v", c.ID[:12], err)
	}
}

// describe names containers for failure messages.
func describe(cs []container.Summary) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.ID[:12]+" "+c.State+" "+c.Labels[sandbox.LabelPoolKey])
	}
	return strings.Join(parts, ", ")
}
