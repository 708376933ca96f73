// Package secretbox encrypts small secrets at rest (access keys' secrets in Postgres) with
// AES-256-GCM under one 32-byte master key.
//
// Design choices:
//
//   - Every Seal draws a fresh random 96-bit nonce, returned beside the ciphertext; a master key
//     seals far fewer than 2^32 secrets, well inside GCM's random-nonce bound.
//   - The caller passes additional data that names what the secret belongs to (the key id), so a
//     ciphertext copied to another record does not open.
//   - The master key comes from LAMBDOCK_MASTER_KEY (base64) or a file (LoadKey): created with
//     mode 0600 on first start, refused when it is readable by others or not 32 bytes.
//
// What it is not: a key-management system (no rotation yet) or a password hash (secrets must be
// recoverable: SigV4 verification needs the plaintext secret).
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeySize is the master key's length in bytes (AES-256).
const KeySize = 32

// ErrOpen is returned by Open when the ciphertext, nonce, additional data or key do not match
// (tampering, or the wrong master key).
var ErrOpen = errors.New("secretbox: cannot decrypt (wrong master key or tampered data)")

// Box seals and opens secrets under one master key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a KeySize-byte master key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: master key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to additional data ad and returns the ciphertext and its nonce.
func (b *Box) Seal(plaintext, ad []byte) (ciphertext, nonce []byte, err error) {
	nonce = make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("secretbox: nonce: %w", err)
	}
	return b.aead.Seal(nil, nonce, plaintext, ad), nonce, nil
}

// Open decrypts what Seal returned for the same additional data, or returns ErrOpen.
func (b *Box) Open(ciphertext, nonce, ad []byte) ([]byte, error) {
	if len(nonce) != b.aead.NonceSize() {
		return nil, ErrOpen
	}
	out, err := b.aead.Open(nil, nonce, ciphertext, ad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
