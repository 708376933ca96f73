package codestore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/infra/codestore"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

func open(t *testing.T) (*codestore.Store, jetstream.JetStream) {
	t.Helper()
	_, js := testenv.JetStream(t)
	cs, err := codestore.New(context.Background(), js)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return cs, js
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestPutFetch(t *testing.T) {
	cs, js := open(t)
	ctx := context.Background()
	tests := []struct {
		name string
		zip  []byte
	}{
		{"small", []byte("PK\x03\x04 tiny zip")},
		{"many chunks", bytes.Repeat([]byte("0123456789abcdef"), 200_000)}, // 3.2 MB
		{"largest allowed", make([]byte, codestore.MaxZipSize)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second Put is a no-op
				sum, err := cs.Put(ctx, tt.zip)
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				if sum != hexSum(tt.zip) {
					t.Fatalf("Put returned %s, want %s", sum, hexSum(tt.zip))
				}
			}
			got, err := cs.FetchCode(ctx, hexSum(tt.zip))
			if err != nil {
				t.Fatalf("FetchCode: %v", err)
			}
			if !bytes.Equal(got, tt.zip) {
				t.Fatal("FetchCode returned other bytes")
			}
		})
	}
	// A second New finds the bucket and its contents.
	cs2, err := codestore.New(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs2.FetchCode(ctx, hexSum(tests[0].zip)); err != nil {
		t.Fatalf("FetchCode through a second New: %v", err)
	}
}

func TestErrors(t *testing.T) {
	cs, js := open(t)
	ctx := context.Background()

	// An object whose content does not hash to its name.
	obj, err := js.ObjectStore(ctx, msg.BucketCode)
	if err != nil {
		t.Fatal(err)
	}
	forged := hexSum([]byte("the real zip"))
	if _, err := obj.PutBytes(ctx, forged, []byte("something else")); err != nil {
		t.Fatal(err)
	}
	deleted, err := cs.Put(ctx, []byte("short-lived"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.Delete(ctx, deleted); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"fetch hash mismatch", func() error { _, err := cs.FetchCode(ctx, forged); return err }, codestore.ErrCorrupt},
		{"fetch unknown", func() error { _, err := cs.FetchCode(ctx, hexSum([]byte("nope"))); return err }, codestore.ErrNotFound},
		{"fetch deleted", func() error { _, err := cs.FetchCode(ctx, deleted); return err }, codestore.ErrNotFound},
		{"fetch bad name", func() error { _, err := cs.FetchCode(ctx, "../etc/passwd"); return err }, codestore.ErrBadHash},
		{"fetch uppercase", func() error { _, err := cs.FetchCode(ctx, strings.ToUpper(forged)); return err }, codestore.ErrBadHash},
		{"delete twice", func() error { return cs.Delete(ctx, deleted) }, codestore.ErrNotFound},
		{"put too large", func() error { _, err := cs.Put(ctx, make([]byte, codestore.MaxZipSize+1)); return err }, codestore.ErrTooLarge},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	// A deleted zip can be stored again.
	if _, err := cs.Put(ctx, []byte("short-lived")); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.FetchCode(ctx, deleted); err != nil {
		t.Fatalf("FetchCode after re-Put: %v", err)
	}
}
