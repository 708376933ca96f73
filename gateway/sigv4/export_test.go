package sigv4

// Derived is how many signing keys c derived (its misses): a test's evidence that the verifier
// used the cache.
func (c *SigningKeys) Derived() uint64 { return c.derived.Load() }

// Len is how many signing keys c holds.
func (c *SigningKeys) Len() int { return c.len() }
