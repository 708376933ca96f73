package gateway

import (
	"context"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// loadCache is the mechanism the gateway's read-through caches share (functions, credentials):
// values by string key, loaded on a miss by the caller's load function, dropped by invalidate or
// invalidateIf and expired after ttl as a backstop for lost change events.
//
// Each invalidation bumps a generation counter. A load stores its result only if no invalidation
// came since its get began, so a load racing a change is returned to its callers but not cached.
// Concurrent misses for the same key share one load (singleflight), keyed by the key and the
// generation, so a get after an invalidation never joins a load that began before it. Only
// successful loads are cached. Values handed out are shared and must not be modified.
//
// Stale-if-error: an expired entry is kept, and served when its reload fails because the store
// is unreachable (unreachable: a connection-type error or a timeout, never a not-found or another
// answer of the store), so that known functions and credentials keep working while PostgreSQL is
// away (their usage records wait in JetStream). Bounds on what is served stale:
//   - Invalidation drops entries at once: a stale entry is never one that a change event removed.
//   - A reload that fails with an answer of the store (not found, or any other error that is not
//     unreachable) drops the entry too, so a key or function the store has said is gone is never
//     brought back by a later outage.
//   - An entry is served stale only until maxStale (cacheMaxStale) past its expiry (its last successful load
//     plus ttl); after that the reload's error is returned, so an outage (or a slow store, which
//     counts as unreachable) extends a lost revocation by at most maxStale.
//   - Serving an entry stale moves its expiry forward by grace (cacheStaleGrace), so that while the store is
//     away later requests are answered from the cache at once instead of each waiting for a
//     failed reload (up to cacheLoadTimeout); the maxStale bound still counts from the original
//     expiry.
type loadCache[V any] struct {
	ttl      time.Duration
	maxStale time.Duration      // how long past its expiry an entry may be served stale
	grace    time.Duration      // how far serving an entry stale moves its expiry forward
	loads    singleflight.Group // keyed by flightKey

	// groupOf, when not nil, names the group of a key (for the function cache, the function of a
	// qualifier), so that invalidateGroup drops a group's entries without scanning the others.
	groupOf func(key string) string

	mu      sync.Mutex
	gen     uint64
	entries map[string]loadEntry[V]
	groups  map[string]map[string]struct{} // group → its keys in entries (with groupOf)
}

type loadEntry[V any] struct {
	v       V
	expires time.Time // when the next get reloads the entry
	staleBy time.Time // the entry is never served after this: its load's expiry plus maxStale
}

const (
	// cacheLoadTimeout bounds one load of a cache.
	cacheLoadTimeout = 10 * time.Second
	// cacheMaxStale bounds how long past its TTL a cached entry (function, access key) may be
	// served while the store is unreachable: with a lost change event, a revocation takes at most
	// the TTL plus cacheMaxStale to reach a gateway whose store is away (or too slow to answer).
	cacheMaxStale = 15 * time.Minute
	// cacheStaleGrace is how long an entry served stale is then served without a reload attempt,
	// so that while the store is away each request does not wait for a failed reload.
	cacheStaleGrace = 5 * time.Second
)

func newLoadCache[V any](ttl time.Duration) *loadCache[V] {
	return &loadCache[V]{ttl: ttl, maxStale: cacheMaxStale, grace: cacheStaleGrace, entries: map[string]loadEntry[V]{},
		groups: map[string]map[string]struct{}{}}
}

// newGroupedLoadCache is newLoadCache with groups of keys (groupOf) for invalidateGroup.
func newGroupedLoadCache[V any](ttl time.Duration, groupOf func(key string) string) *loadCache[V] {
	c := newLoadCache[V](ttl)
	c.groupOf = groupOf
	return c
}

// put stores key's entry and indexes its group (with c.mu held).
func (c *loadCache[V]) put(key string, e loadEntry[V]) {
	c.entries[key] = e
	if c.groupOf == nil {
		return
	}
	g := c.groupOf(key)
	keys := c.groups[g]
	if keys == nil {
		keys = map[string]struct{}{}
		c.groups[g] = keys
	}
	keys[key] = struct{}{}
}

// drop removes key's entry and its place in its group (with c.mu held).
func (c *loadCache[V]) drop(key string) {
	delete(c.entries, key)
	if c.groupOf == nil {
		return
	}
	g := c.groupOf(key)
	if keys := c.groups[g]; keys != nil {
		delete(keys, key)
		if len(keys) == 0 {
			delete(c.groups, g)
		}
	}
}

// get returns key's value from the cache or else from load, which runs detached from ctx (with
// cacheLoadTimeout) so that the caller who started it giving up does not fail the others waiting
// on it; a caller whose ctx ends stops waiting with ctx's error. hit reports a cached answer.
func (c *loadCache[V]) get(ctx context.Context, key string, load func(ctx context.Context) (V, error)) (v V, hit bool, err error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	gen := c.gen
	c.mu.Unlock()
	if ok && time.Now().Before(e.expires) {
		return e.v, true, nil
	}
	loaded := c.loads.DoChan(flightKey(key, gen), func() (any, error) {
		loadCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cacheLoadTimeout)
		defer cancel()
		v, err := load(loadCtx)
		if err != nil {
			c.mu.Lock()
			defer c.mu.Unlock()
			if !unreachable(err) {
				// An answer of the store (not found, disabled, ...): the entry must never be
				// served stale again. Safe whatever the generation: at worst a reload.
				c.drop(key)
				return v, err
			}
			stale, ok := c.entries[key]
			now := time.Now()
			if !ok {
				return v, err
			}
			if !now.Before(stale.staleBy) {
				c.drop(key) // too old to be served again
				return v, err
			}
			exp := now.Add(c.grace)
			if exp.After(stale.staleBy) {
				exp = stale.staleBy
			}
			if exp.After(stale.expires) {
				stale.expires = exp
				c.put(key, stale)
			}
			return stale.v, nil
		}
		c.mu.Lock()
		if c.gen == gen {
			exp := time.Now().Add(c.ttl)
			c.put(key, loadEntry[V]{v: v, expires: exp, staleBy: exp.Add(c.maxStale)})
		}
		c.mu.Unlock()
		return v, nil
	})
	select {
	case r := <-loaded:
		v, _ := r.Val.(V) // the load returns nothing else
		return v, false, r.Err
	case <-ctx.Done():
		return v, false, ctx.Err()
	}
}

// flightKey is the singleflight key of a load of key begun at generation gen.
func flightKey(key string, gen uint64) string { return strconv.FormatUint(gen, 36) + "/" + key }

// invalidate drops key, and keeps every load begun before it from being cached.
func (c *loadCache[V]) invalidate(key string) {
	c.mu.Lock()
	c.gen++
	c.drop(key)
	c.mu.Unlock()
}

// invalidateGroup drops every entry of group (groupOf), in time proportional to their number,
// and keeps every load begun before it from being cached.
func (c *loadCache[V]) invalidateGroup(group string) {
	c.mu.Lock()
	c.gen++
	for key := range c.groups[group] {
		delete(c.entries, key)
	}
	delete(c.groups, group)
	c.mu.Unlock()
}

// invalidateIf drops every entry for which drop is true, and keeps every load begun before it
// from being cached. drop runs under the cache's lock and must not block.
func (c *loadCache[V]) invalidateIf(drop func(key string, v V) bool) {
	c.mu.Lock()
	c.gen++
	for k, e := range c.entries {
		if drop(k, e.v) {
			c.drop(k)
		}
	}
	c.mu.Unlock()
}
