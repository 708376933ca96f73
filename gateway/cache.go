package gateway

import (
	"context"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// functionCache maps qualified functions (account, name and qualifier: cacheKey) to what they
// resolve to for the invoke path (store.Target: $LATEST, a version, or an alias with its
// versions), through a loadCache: entries are dropped by invalidate (driven by
// msg.FunctionChanged events, which drop every qualifier of the function) and expire after the
// TTL; a load racing an invalidation is not cached; concurrent misses share one store read.
// Records handed out are shared and must not be modified. Unknown functions, versions and
// aliases are not cached, so they become invokable as soon as they are created. While the store
// is unreachable an expired entry is served stale for at most cacheMaxStale past its TTL
// (loadCache), and never once the store has answered that it is gone.
type functionCache struct {
	store Store
	c     *loadCache[*store.Target]
}

// cacheKey is the key of the qualifier of the account's function called name ("" and $LATEST
// share one): two accounts' functions of the same name never share an entry. Every key of a
// function starts with functionPrefix.
func cacheKey(account, name, qualifier string) string {
	if qualifier == function.LatestVersion {
		qualifier = ""
	}
	return functionPrefix(account, name) + qualifier
}

// functionPrefix starts every cacheKey of the account's function name (names have no ':').
func functionPrefix(account, name string) string { return account + "/" + name + ":" }

// functionOf is the group of a cacheKey: its functionPrefix (a qualifier has no ':').
func functionOf(key string) string { return key[:strings.LastIndexByte(key, ':')+1] }

func newFunctionCache(s Store, ttl time.Duration) *functionCache {
	return &functionCache{store: s, c: newGroupedLoadCache[*store.Target](ttl, functionOf)}
}

// get returns what the qualifier ("" for $LATEST) of the account's function called name
// resolves to, from the cache or the store (an error wrapping store.ErrNotFound if the function,
// version or alias does not exist). A caller whose ctx ends stops waiting; the shared load goes
// on for the others.
func (c *functionCache) get(ctx context.Context, account, name, qualifier string) (*store.Target, error) {
	t, _, err := c.c.get(ctx, cacheKey(account, name, qualifier), func(ctx context.Context) (*store.Target, error) {
		return c.store.ResolveQualifier(ctx, account, name, qualifier)
	})
	return t, err
}

// invalidate drops every qualifier of the account's function name from the cache (through the
// cache's index of a function's keys, without scanning the others), and makes the next get
// start a new store read rather than join one that began before the change.
func (c *functionCache) invalidate(account, name string) {
	c.c.invalidateGroup(functionPrefix(account, name))
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

// versionDeleted is functionChanged for the deletion of a published version: the event names
// it, so that invokers remove its containers.
func (g *Gateway) versionDeleted(account, name, version string) {
	g.cache.invalidate(account, name)
	g.publishChange(msg.FunctionChanged{AccountID: account, Name: name, Version: version})
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
