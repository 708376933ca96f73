package async

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/rules"
	"github.com/lambdock/lambdock/internal/store"
)

// eventConfig is a function's event invoke configuration with Lambda's defaults filled in and
// the maximum age scaled.
type eventConfig struct {
	retries   int
	maxAge    time.Duration
	onSuccess string
	onFailure string
}

// eventConfig reads the configuration of the event's function and qualifier.
func (e *Engine) eventConfig(ctx context.Context, inv msg.Invocation) (eventConfig, error) {
	c := eventConfig{retries: rules.DefaultRetryAttempts, maxAge: e.cfg.scaled(rules.DefaultEventAgeSec * time.Second)}
	if e.cfg.Configs == nil {
		return c, nil
	}
	qualifier := function.QualifierOrLatest(inv.Event.Qualifier)
	sctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	got, err := e.cfg.Configs.EventInvokeConfig(sctx, inv.Function.AccountID, inv.Function.Name, qualifier)
	if errors.Is(err, store.ErrNotFound) {
		return c, nil
	}
	if err != nil {
		return eventConfig{}, fmt.Errorf("async: event invoke config of %s: %w", inv.Function.Name, err)
	}
	if got.MaximumRetryAttempts != nil {
		c.retries = *got.MaximumRetryAttempts
	}
	if got.MaximumEventAgeSec != nil {
		c.maxAge = e.cfg.scaled(time.Duration(*got.MaximumEventAgeSec) * time.Second)
	}
	c.onSuccess, c.onFailure = got.OnSuccess, got.OnFailure
	return c, nil
}
