package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
)

// Shape of the functions scenarios 3 and 4 create.
const (
	fnMemoryMB   = 256
	fnTimeoutSec = 10
	fnRuntime    = "provided.al2023"
	fnHandler    = "bootstrap"
)

// apiParallelism bounds concurrent CreateFunction and DeleteFunction calls.
const apiParallelism = 4

// cleanupTimeout bounds deleting a scenario's functions, even after the run was interrupted.
const cleanupTimeout = 2 * time.Minute

// buildZip packages the test function's bootstrap the way `lambdock deploy` does, once for all
// the functions a scenario creates.
func buildZip(ctx context.Context, bootstrap string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "lambdock-bench-zip-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := lambdockdtest.WriteProject(dir, bootstrap, "bench-zip", fnMemoryMB, fnTimeoutSec); err != nil {
		return nil, err
	}
	zip, err := cli.BuildZip(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("package the test function: %w", err)
	}
	return zip, nil
}

// create creates function name from zip through the API (CreateFunction).
func (b *bench) create(ctx context.Context, name string, memoryMB int, zip []byte) error {
	mem, timeout := memoryMB, fnTimeoutSec
	_, err := b.client.CreateFunction(ctx, &lambdaapi.CreateFunctionInput{
		FunctionName: name, Runtime: fnRuntime, Handler: fnHandler,
		MemorySize: &mem, Timeout: &timeout, Code: lambdaapi.FunctionCode{ZipFile: zip}})
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	return nil
}

// createAll creates the functions names, apiParallelism at a time.
func (b *bench) createAll(ctx context.Context, names []string, memoryMB int, zip []byte) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(apiParallelism)
	for _, n := range names {
		g.Go(func() error { return b.create(gctx, n, memoryMB, zip) })
	}
	return g.Wait()
}

// deleteAll deletes the functions names, apiParallelism at a time, with its own time budget so
// that an interrupted run still cleans up. Functions that do not exist are not an error.
func (b *bench) deleteAll(names []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	var g errgroup.Group
	g.SetLimit(apiParallelism)
	for _, n := range names {
		g.Go(func() error { return b.delete(ctx, n) })
	}
	return g.Wait()
}

// delete deletes function name; a function that does not exist is not an error.
func (b *bench) delete(ctx context.Context, name string) error {
	if err := b.client.DeleteFunction(ctx, name); err != nil && !lambdaclient.IsNotFound(err) {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	return nil
}
