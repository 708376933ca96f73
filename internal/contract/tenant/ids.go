package tenant

import (
	"crypto/rand"
	"encoding/base64"
	"math/big"
	"regexp"
)

// keyIDAlphabet is the alphabet of AWS access key IDs after the AKIA prefix.
const keyIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	keyIDPattern     = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
	secretPattern    = regexp.MustCompile(`^[A-Za-z0-9+/=]{40}$`)
)

// NewAccountID returns a random 12-digit account ID (never AdminAccountID).
func NewAccountID() string {
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000_000_000))
		if err != nil {
			panic("tenant: crypto/rand failed: " + err.Error())
		}
		if id := leftPad12(n.String()); id != AdminAccountID {
			return id
		}
	}
}

// NewKeyID returns a random AWS-shaped access key ID: AKIA and 16 characters of A-Z2-7.
func NewKeyID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("tenant: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = keyIDAlphabet[int(b[i])%len(keyIDAlphabet)] // 256 is a multiple of 32: no bias
	}
	return "AKIA" + string(b)
}

// NewSecret returns a random 40-character secret access key (30 random bytes, base64).
func NewSecret() string {
	b := make([]byte, 30)
	if _, err := rand.Read(b); err != nil {
		panic("tenant: crypto/rand failed: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ValidAccountID reports whether id has the shape of an account ID.
func ValidAccountID(id string) bool { return accountIDPattern.MatchString(id) }

// ValidKeyID reports whether id has the shape of an access key ID.
func ValidKeyID(id string) bool { return keyIDPattern.MatchString(id) }

// ValidSecret reports whether s has the shape of a secret access key: 40 characters of
// A-Z a-z 0-9 + / = (what NewSecret and AWS make).
func ValidSecret(s string) bool { return secretPattern.MatchString(s) }

func leftPad12(s string) string {
	for len(s) < 12 {
		s = "0" + s
	}
	return s
}
