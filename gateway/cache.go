package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/store"
)

// functionCache maps function names to their stored records for the invoke path.
//
// Entries are dropped by invalidate (driven by msg.FunctionChanged events) and expire after ttl
// as a backstop for lost events. Each invalidation bumps a generation counter; a load that started
// before an invalidation does not store its (possibly stale) result. Concurrent misses for the
// same name share one store read. Records handed out are shared and must not be modified.
// Unknown functions are not cached, so a function becomes invokable as soon as it is created.
type functionCache struct {
	store Store
	ttl   time.Duration

	mu       sync.Mutex
	gen      uint64
	entries  map[string]cacheEntry
	inflight map[string]*cacheLoad
}

type cacheEntry struct {
	f       *store.Function
	expires time.Time
}

// cacheLoad is one store read that concurrent misses wait on.
type cacheLoad struct {
	done chan struct{}
	f    *store.Function
	err  error
}

func newFunctionCache(s Store, ttl time.Duration) *functionCache {
	return &functionCache{store: s, ttl: ttl, entries: map[string]cacheEntry{}, inflight: map[string]*cacheLoad{}}
}

// get returns the function called name, from the cache or the store (store.ErrNotFound if none).
func (c *functionCache) get(ctx context.Context, name string) (*store.Function, error) {
	c.mu.Lock()
	if e, ok := c.entries[name]; ok && time.Now().Before(e.expires) {
		c.mu.Unlock()
		return e.f, nil
	}
	if l, ok := c.inflight[name]; ok {
		c.mu.Unlock()
		select {
		case <-l.done:
			return l.f, l.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l := &cacheLoad{done: make(chan struct{})}
	c.inflight[name] = l
	gen := c.gen
	c.mu.Unlock()

	// The load runs detached from ctx so that one caller giving up does not fail the others.
	loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	l.f, l.err = c.store.GetFunction(loadCtx, name)
	cancel()

	c.mu.Lock()
	delete(c.inflight, name)
	if l.err == nil && c.gen == gen {
		c.entries[name] = cacheEntry{f: l.f, expires: time.Now().Add(c.ttl)}
	}
	c.mu.Unlock()
	close(l.done)
	return l.f, l.err
}

// invalidate drops name from the cache.
func (c *functionCache) invalidate(name string) {
	c.mu.Lock()
	c.gen++
	delete(c.entries, name)
	c.mu.Unlock()
}

// onFunctionChanged is the NATS handler of msg.SubjectFunctionChanged.
func (g *Gateway) onFunctionChanged(m *nats.Msg) {
	ev, err := msg.Decode[msg.FunctionChanged](m.Data)
	if err != nil || ev.Name == "" {
		g.log.Warn("bad function-changed event", zap.ByteString("data", m.Data), zap.Error(err))
		return
	}
	g.cache.invalidate(ev.Name)
}

// functionChanged invalidates the local cache at once and tells every other gateway and
// controller. The mutation is already committed, so a publish failure is logged, not returned:
// other caches then catch up through their TTL.
func (g *Gateway) functionChanged(name string, deleted bool) {
	g.cache.invalidate(name)
	ev := msg.Encode(msg.FunctionChanged{Name: name, Deleted: deleted})
	if err := g.cfg.NATS.Publish(msg.SubjectFunctionChanged, ev); err != nil {
		g.log.Error("publish function-changed event", zap.String("function", name), zap.Error(err))
	}
}
