package gateway

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// functionCache maps functions (account and name, cacheKey) to their stored records for the
// invoke path, through a loadCache: entries are dropped by invalidate (driven by
// msg.FunctionChanged events) and expire after the TTL; a load racing an invalidation is not
// cached; concurrent misses share one store read. Records handed out are shared and must not be
// modified. Unknown functions are not cached, so a function becomes invokable as soon as it is
// created. While the store is unreachable an expired function is served stale for at most
// cacheMaxStale past its TTL (loadCache), and never once the store has answered that it is gone.
type functionCache struct {
	store Store
	c     *loadCache[*store.Function]
}

// cacheKey is the key of the account's function called name: two accounts' functions of the same
// name never share an entry.
func cacheKey(account, name string) string { return account + "/" + name }

func newFunctionCache(s Store, ttl time.Duration) *functionCache {
	return &functionCache{store: s, c: newLoadCache[*store.Function](ttl)}
}

// get returns the account's function called name, from the cache or the store
// (store.ErrNotFound if none). A caller whose ctx ends stops waiting; the shared load goes on for
// the others.
func (c *functionCache) get(ctx context.Context, account, name string) (*store.Function, error) {
	f, _, err := c.c.get(ctx, cacheKey(account, name), func(ctx context.Context) (*store.Function, error) {
		return c.store.GetFunction(ctx, account, name)
	})
	return f, err
}

// invalidate drops the account's function name from the cache, and makes the next get start a
// new store read rather than join one that began before the change.
func (c *functionCache) invalidate(account, name string) {
	c.c.invalidate(cacheKey(account, name))
}

// onFunctionChanged is the NATS handler of msg.SubjectFunctionChanged. An event without a
// function name is about an account (its limit), which the cache does not hold.
func (g *Gateway) onFunctionChanged(m *nats.Msg) {
	ev, err := msg.Decode[msg.FunctionChanged](m.Data)
	if err != nil {
		g.log.Warn("bad function-changed event", zap.ByteString("data", m.Data), zap.Error(err))
		return
	}
	if ev.Name == "" {
		return
	}
	if ev.AccountID == "" { // from a gateway older than accounts
		ev.AccountID = tenant.AdminAccountID
	}
	g.cache.invalidate(ev.AccountID, ev.Name)
}

// functionChanged invalidates the local cache at once and tells every other gateway and
// controller. The mutation is already committed, so a publish failure is logged, not returned:
// other caches then catch up through their TTL.
func (g *Gateway) functionChanged(account, name string, deleted bool) {
	g.cache.invalidate(account, name)
	g.publishChange(msg.FunctionChanged{AccountID: account, Name: name, Deleted: deleted})
}

// AccountChanged tells every controller that an account's concurrency limit changed (after
// store.UpdateAccount), so that admission reloads it before the next invocation. Like
// functionChanged, a publish failure is logged: the periodic reload catches up.
func (g *Gateway) AccountChanged(account string) {
	g.publishChange(msg.FunctionChanged{AccountID: account})
}

// publishChange publishes a change event.
func (g *Gateway) publishChange(ev msg.FunctionChanged) {
	if err := g.cfg.NATS.Publish(msg.SubjectFunctionChanged, msg.Encode(ev)); err != nil {
		g.log.Error("publish change event", zap.String("account", ev.AccountID), zap.String("function", ev.Name), zap.Error(err))
	}
}
