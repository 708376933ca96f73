package gateway_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/logstore"
)

// TestFunctionLogsSigned reads and follows a function's logs with signed requests (the CLI's
// client): its account's owner key may, an invoke key of the function may not (AccessDenied on
// lambdock:GetFunctionLogs), and another account's owner does not see the function.
func TestFunctionLogsSigned(t *testing.T) {
	env, _ := authEnv(t)
	ctx := context.Background()
	owner := env.SignedClient(env.AddKey(t, idA, tenant.RoleOwner))
	createFunctionWith(t, owner, "alpha")
	if err := logstore.EnsureStream(ctx, env.JetStream, logstore.Retention{}); err != nil {
		t.Fatal(err)
	}
	publishLogs(t, env, idA, "alpha", 0, logLine(time.Now(), 0, "r1", msg.LogTypeFunction, "signed hello"))

	page, err := owner.GetFunctionLogs(ctx, "alpha", lambdaclient.GetFunctionLogsInput{})
	if err != nil || len(page.Events) != 1 || page.Events[0].Message != "signed hello" {
		t.Fatalf("owner's page: %+v, %v", page, err)
	}
	// A signed follow from the page's last line: the next line arrives, then the follow ends with
	// the callback's error.
	done := errors.New("seen")
	followed := make(chan error, 1)
	fctx, cancel := context.WithTimeout(ctx, followWait)
	defer cancel()
	go func() {
		followed <- owner.FollowFunctionLogs(fctx, "alpha", lambdaclient.FollowLogsInput{LastEventID: page.Events[0].EventID},
			func(ev lambdaclient.LogStreamEvent) error {
				if ev.Event != nil && ev.Event.Message == "signed follow" {
					return done
				}
				return nil
			})
	}()
	publishLogs(t, env, idA, "alpha", 0, logLine(time.Now(), 0, "r2", msg.LogTypeFunction, "signed follow"))
	if err := <-followed; !errors.Is(err, done) {
		t.Fatalf("owner's follow: %v, want the line", err)
	}

	invoker := env.SignedClient(env.AddKey(t, idA, tenant.RoleInvoke, "alpha"))
	_, err = invoker.GetFunctionLogs(ctx, "alpha", lambdaclient.GetFunctionLogsInput{})
	apiErr(t, "an invoke key", err, 403, "AccessDeniedException", "lambdock:GetFunctionLogs")
	err = invoker.FollowFunctionLogs(ctx, "alpha", lambdaclient.FollowLogsInput{}, func(lambdaclient.LogStreamEvent) error { return nil })
	apiErr(t, "an invoke key's follow", err, 403, "AccessDeniedException", "lambdock:GetFunctionLogs")

	other := env.SignedClient(env.AddKey(t, idB, tenant.RoleOwner))
	_, err = other.GetFunctionLogs(ctx, "alpha", lambdaclient.GetFunctionLogsInput{})
	apiErr(t, "another account's owner", err, 404, "ResourceNotFoundException", "Function not found")
}
