package codestore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// MaxZipSize is the largest zip accepted: Lambda's limit for a zip uploaded directly (50 MB).
const MaxZipSize = 52_428_800

// Errors of the code store, wrapped with context.
var (
	// ErrNotFound: no zip with that hash is stored.
	ErrNotFound = errors.New("code not found")
	// ErrTooLarge: the zip is larger than MaxZipSize.
	ErrTooLarge = errors.New("zip larger than 52428800 bytes")
	// ErrCorrupt: the stored bytes do not hash to their name.
	ErrCorrupt = errors.New("stored code does not match its SHA-256")
	// ErrBadHash: the name is not a lowercase hex SHA-256.
	ErrBadHash = errors.New("not a hex SHA-256")
)

// Store is the code store. It is safe for concurrent use.
type Store struct {
	obj jetstream.ObjectStore
}

// New opens the code bucket, creating it (file storage) when it does not exist.
func New(ctx context.Context, js jetstream.JetStream) (*Store, error) {
	obj, err := js.ObjectStore(ctx, msg.BucketCode)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obj, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      msg.BucketCode,
			Description: "Lambdock deployment packages by hex SHA-256",
			Storage:     jetstream.FileStorage,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("codestore: open bucket %s: %w", msg.BucketCode, err)
	}
	return &Store{obj: obj}, nil
}

// Put stores zip and returns its hex SHA-256. Storing a zip that is already there does nothing.
func (s *Store) Put(ctx context.Context, zip []byte) (string, error) {
	if len(zip) > MaxZipSize {
		return "", fmt.Errorf("codestore: %d bytes: %w", len(zip), ErrTooLarge)
	}
	sum := sha256.Sum256(zip)
	name := hex.EncodeToString(sum[:])
	info, err := s.obj.GetInfo(ctx, name)
	switch {
	case err == nil && !info.Deleted && info.Size == uint64(len(zip)):
		return name, nil
	case err != nil && !errors.Is(err, jetstream.ErrObjectNotFound):
		return "", fmt.Errorf("codestore: look up %s: %w", name, err)
	}
	if _, err := s.obj.PutBytes(ctx, name, zip); err != nil {
		return "", fmt.Errorf("codestore: store %s: %w", name, err)
	}
	return name, nil
}

// FetchCode returns the zip whose hex SHA-256 is sha256Hex, after checking the hash. It
// implements invoker.CodeFetcher.
func (s *Store) FetchCode(ctx context.Context, sha256Hex string) ([]byte, error) {
	if err := checkName(sha256Hex); err != nil {
		return nil, err
	}
	zip, err := s.obj.GetBytes(ctx, sha256Hex)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("codestore: %s: %w", sha256Hex, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("codestore: fetch %s: %w", sha256Hex, err)
	}
	sum := sha256.Sum256(zip)
	if hex.EncodeToString(sum[:]) != sha256Hex {
		return nil, fmt.Errorf("codestore: %s: %w", sha256Hex, ErrCorrupt)
	}
	return zip, nil
}

// Delete removes the zip whose hex SHA-256 is sha256Hex (ErrNotFound if there is none). Only
// delete a hash that no function uses any more.
func (s *Store) Delete(ctx context.Context, sha256Hex string) error {
	if err := checkName(sha256Hex); err != nil {
		return err
	}
	// The object store accepts deleting a deleted object; look first to report it.
	_, err := s.obj.GetInfo(ctx, sha256Hex)
	if err == nil {
		err = s.obj.Delete(ctx, sha256Hex)
	}
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("codestore: %s: %w", sha256Hex, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("codestore: delete %s: %w", sha256Hex, err)
	}
	return nil
}

// checkName accepts only what Put produces: 64 lowercase hex digits.
func checkName(name string) error {
	if len(name) != 2*sha256.Size {
		return fmt.Errorf("codestore: %q: %w", name, ErrBadHash)
	}
	for _, c := range name {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("codestore: %q: %w", name, ErrBadHash)
		}
	}
	return nil
}
