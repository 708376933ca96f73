package gateway_test

import (
	"context"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
)

// TestAccountConcurrencyChangeNotifiesControllers: creating an account with a concurrency limit
// and changing an account's limit publish a change event for the account, so that controllers
// reload its limit before the next invocation instead of admitting against the old one for up
// to their reload period.
func TestAccountConcurrencyChangeNotifiesControllers(t *testing.T) {
	env, _ := authEnv(t)
	ctx := context.Background()
	sub, err := env.NATS.SubscribeSync(msg.SubjectFunctionChanged)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := env.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	expect := func(step, account string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			m, err := sub.NextMsg(time.Until(deadline))
			if err != nil {
				t.Fatalf("%s: no change event for account %s: %v", step, account, err)
			}
			ev, err := msg.Decode[msg.FunctionChanged](m.Data)
			if err == nil && ev.AccountID == account && ev.Name == "" {
				return
			}
		}
	}

	conc := 200
	acct, err := env.Client.CreateAccount(ctx, "team-limits", &conc)
	if err != nil {
		t.Fatal(err)
	}
	expect("CreateAccount", acct.AccountID)

	conc = 300
	if _, err := env.Client.UpdateAccount(ctx, acct.AccountID, lambdaapi.UpdateAccountInput{Concurrency: &conc}); err != nil {
		t.Fatal(err)
	}
	expect("UpdateAccount", acct.AccountID)
}
