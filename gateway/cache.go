package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/store"
)

// functionCache maps functions (account and name, cacheKey) to their stored records for the
// invoke path.
//
// Entries are dropped by invalidate (driven by msg.FunctionChanged events) and expire after ttl
// as a backstop for lost events. Each invalidation bumps a generation counter; a load that started
// before an invalidation does not store its (possibly stale) result. Concurrent misses for the
// same name share one store read (singleflight). Records handed out are shared and must not be
// modified. Unknown functions are not cached, so a function becomes invokable as soon as it is
// created.
type functionCache struct {
	store Store
	ttl   time.Duration
	loads singleflight.Group // keyed by cacheKey

	mu      sync.Mutex
	gen     uint64
	entries map[string]cacheEntry // by cacheKey
}

// cacheKey is the key of the account's function called name: two accounts' functions of the same
// name never share an entry.
func cacheKey(account, name string) string { return account + "/" + name }

type cacheEntry struct {
	f       *store.Function
	expires time.Time
}

// cacheLoadTimeout bounds one store read of the cache.
const cacheLoadTimeout = 10 * time.Second

func newFunctionCache(s Store, ttl time.Duration) *functionCache {
	return &functionCache{store: s, ttl: ttl, entries: map[string]cacheEntry{}}
}

// get returns the account's function called name, from the cache or the store
// (store.ErrNotFound if none). A caller whose ctx ends stops waiting; the shared load goes on for
// the others.
func (c *functionCache) get(ctx context.Context, account, name string) (*store.Function, error) {
	key := cacheKey(account, name)
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e.f, nil
	}
	loaded := c.loads.DoChan(key, func() (any, error) { return c.load(ctx, account, name) })
	select {
	case r := <-loaded:
		f, _ := r.Val.(*store.Function) // load returns nothing else; nil with an error
		return f, r.Err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// load reads the account's function name from the store and caches it unless an invalidation came in the meantime. The
// read runs detached from ctx so that the caller who started it giving up does not fail the
// others waiting on it.
func (c *functionCache) load(ctx context.Context, account, name string) (*store.Function, error) {
	c.mu.Lock()
	gen := c.gen
	c.mu.Unlock()

	loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheLoadTimeout)
	defer cancel()
	f, err := c.store.GetFunction(loadCtx, account, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen {
		c.entries[cacheKey(account, name)] = cacheEntry{f: f, expires: time.Now().Add(c.ttl)}
	}
	c.mu.Unlock()
	return f, nil
}

// invalidate drops the account's function name from the cache, and makes the next get start a
// new store read rather than join one that began before the change.
func (c *functionCache) invalidate(account, name string) {
	key := cacheKey(account, name)
	c.mu.Lock()
	c.gen++
	delete(c.entries, key)
	c.mu.Unlock()
	c.loads.Forget(key)
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
