package sigv4

import (
	"crypto/sha256"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultSigningKeys is how many derived signing keys NewSigningKeys keeps by default.
const DefaultSigningKeys = 4096

// SigningKeys caches derived signing keys (the four HMACs from a secret to the key of a
// date/region/service scope), as AWS SDKs do: with it, a key's requests after its first of the
// day cost one HMAC instead of five. It is safe for concurrent use. It keeps at most its
// capacity of keys and starts over when full (keys change daily anyway). Only the keys of known
// secrets go in: an unknown access key's dummy secret is derived every time, so that refusing an
// unknown key still costs what a known key's first request of the day does. The cache holds no
// secret: it is keyed by the secret's SHA-256, so the secret of a deleted or rotated key does not
// linger in it as plaintext.
type SigningKeys struct {
	mu      sync.Mutex
	keys    map[signingKeyID][]byte
	max     int
	derived atomic.Uint64 // how many keys the cache derived (its misses), for tests
}

// signingKeyID names a derived key: the secret's SHA-256 and the scope's date/region/service.
type signingKeyID struct {
	secret [sha256.Size]byte
	scope  string
}

// NewSigningKeys returns an empty cache of at most max keys (DefaultSigningKeys if max ≤ 0).
func NewSigningKeys(max int) *SigningKeys {
	if max <= 0 {
		max = DefaultSigningKeys
	}
	return &SigningKeys{keys: make(map[signingKeyID][]byte), max: max}
}

// key returns the signing key of secret for scope (date/region/service/aws4_request), derived
// once per cache lifetime when c is not nil.
func (c *SigningKeys) key(secret, scope string) []byte {
	if c == nil {
		return deriveKey(secret, scope)
	}
	id := signingKeyID{sha256.Sum256([]byte(secret)), scope}
	c.mu.Lock()
	k, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = deriveKey(secret, scope)
	c.derived.Add(1)
	c.mu.Lock()
	if len(c.keys) >= c.max {
		clear(c.keys)
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k
}

// len is how many keys c holds.
func (c *SigningKeys) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys)
}

// deriveKey is the signing key of secret for scope (date/region/service/aws4_request).
func deriveKey(secret, scope string) []byte {
	date, rest, _ := strings.Cut(scope, "/")
	region, rest, _ := strings.Cut(rest, "/")
	service, _, _ := strings.Cut(rest, "/")
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	return hmacSHA256(key, terminator)
}
