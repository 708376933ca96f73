package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// credential is what authentication needs to know of an access key id: the key, secret
// included, and whether its account is disabled. It lives only in memory and is never logged.
type credential struct {
	key             *tenant.Key
	accountDisabled bool
}

// credCache maps access key ids to their credential, through a loadCache, so that a warm
// request is verified without a Directory query. Entries are dropped by msg.CredentialsChanged
// events (a key's own, or its account's) and expire after Config.KeyCacheTTL; a load racing an
// invalidation is not cached; concurrent misses for one key id share one load. Unknown keys
// (and keys whose account is gone) are not cached: each costs a full load, the same two
// Directory lookups as a known key's first request. While the Directory is unreachable an
// expired key is served stale for at most cacheMaxStale past its TTL (loadCache), and never once
// the Directory has answered that the key is gone or disabled.
type credCache struct {
	dir tenant.Directory
	c   *loadCache[credential]
}

func newCredCache(dir tenant.Directory, ttl time.Duration) *credCache {
	return &credCache{dir: dir, c: newLoadCache[credential](ttl)}
}

// get returns key id's credential, from the cache or the Directory (an error wrapping
// tenant.ErrNotFound for an unknown key or account). hit reports a cached answer.
func (c *credCache) get(ctx context.Context, id string) (credential, bool, error) {
	return c.c.get(ctx, id, func(ctx context.Context) (credential, error) { return c.load(ctx, id) })
}

// load reads key id and its account. An unknown key still costs an account lookup, so that its
// answer takes as long as a known key's first one: timing does not tell which keys exist.
func (c *credCache) load(ctx context.Context, id string) (credential, error) {
	k, err := c.dir.GetKey(ctx, id)
	if errors.Is(err, tenant.ErrNotFound) {
		_, _ = c.dir.GetAccount(ctx, tenant.AdminAccountID) // only for timing
		return credential{}, fmt.Errorf("get key: %w", err)
	}
	if err != nil {
		return credential{}, fmt.Errorf("get key: %w", err)
	}
	a, err := c.dir.GetAccount(ctx, k.AccountID)
	if err != nil {
		if k.Disabled {
			// The store has just answered that the key is disabled: that answer stands, so a
			// failed (e.g. unreachable) account lookup must not let the cache serve an older
			// entry in which the key is still active.
			return credential{key: k}, nil
		}
		return credential{}, fmt.Errorf("get account: %w", err)
	}
	return credential{key: k, accountDisabled: a.Disabled}, nil
}

// invalidate drops what the event is about: one key, or every key of the account.
func (c *credCache) invalidate(ev msg.CredentialsChanged) {
	if ev.KeyID != "" {
		c.c.invalidate(ev.KeyID)
		return
	}
	c.c.invalidateIf(func(_ string, cr credential) bool { return cr.key.AccountID == ev.AccountID })
}

// onCredentialsChanged is the NATS handler of msg.SubjectCredentialsChanged.
func (g *Gateway) onCredentialsChanged(m *nats.Msg) {
	ev, err := msg.Decode[msg.CredentialsChanged](m.Data)
	if err != nil {
		g.log.Warn("bad credentials-changed event", zap.ByteString("data", m.Data), zap.Error(err))
		return
	}
	g.creds.invalidate(ev)
}

// credentialsChanged invalidates the local credentials cache at once and tells every other
// gateway, after a key (keyID) or an account (keyID "") was changed. Callers call it after
// every write attempt, failed ones included (a write may commit and still report an error). A
// publish failure is logged, not returned: other gateways then catch up within their TTL.
func (g *Gateway) credentialsChanged(account, keyID string) {
	ev := msg.CredentialsChanged{AccountID: account, KeyID: keyID}
	g.creds.invalidate(ev)
	if err := g.cfg.NATS.Publish(msg.SubjectCredentialsChanged, msg.Encode(ev)); err != nil {
		g.log.Error("publish credentials-changed event", zap.String("account", account),
			zap.String("key", keyID), zap.Error(err))
	}
}
