package sigv4

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// The cache gives the derived key itself, holds at most its capacity, and starts over when full.
func TestSigningKeys(t *testing.T) {
	c := NewSigningKeys(2)
	scope := func(day int) string { return fmt.Sprintf("202601%02d/us-east-1/lambda/aws4_request", day) }
	for day := 1; day <= 5; day++ {
		for range 2 {
			if got, want := c.key("secret", scope(day)), deriveKey("secret", scope(day)); !bytes.Equal(got, want) {
				t.Fatalf("day %d: cached key %x, derived %x", day, got, want)
			}
		}
		if n := c.len(); n > 2 {
			t.Fatalf("the cache holds %d keys, capacity 2", n)
		}
	}
	if bytes.Equal(c.key("secret", scope(1)), c.key("other", scope(1))) {
		t.Error("two secrets share a signing key")
	}
	var none *SigningKeys // no cache: derived every time
	if !bytes.Equal(none.key("secret", scope(1)), deriveKey("secret", scope(1))) {
		t.Error("nil cache")
	}
}

// The cache holds no secret in plaintext: its map is keyed by the secret's hash.
func TestSigningKeysHoldNoSecret(t *testing.T) {
	c := NewSigningKeys(0)
	const secret = "wJalrXUtnFEMI-plaintext-secret"
	c.key(secret, "20260101/us-east-1/lambda/aws4_request")
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.keys) != 1 {
		t.Fatalf("%d keys", len(c.keys))
	}
	for id := range c.keys {
		if dump := fmt.Sprintf("%+v %s", id, fmt.Sprint(id)); strings.Contains(dump, secret) {
			t.Errorf("the cache key holds the secret: %s", dump)
		}
	}
}
