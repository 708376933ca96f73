package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

// keys is a KeyLookup over a map of access key ID to secret.
type keys map[string]string

func (k keys) SecretFor(_ context.Context, accessKeyID string) (string, error) {
	if s, ok := k[accessKeyID]; ok {
		return s, nil
	}
	return "", sigv4.ErrUnknownKey
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
