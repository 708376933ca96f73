package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/infra/secretbox"
)

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	log     *zap.Logger
	secrets *secretbox.Box // nil: access keys cannot be stored or read
}

// Option configures Open.
type Option func(*Store)

// WithSecrets sets the box that encrypts access keys' secrets at rest. Without it CreateKey and
// GetKey fail.
func WithSecrets(box *secretbox.Box) Option { return func(s *Store) { s.secrets = box } }

// Open brings the schema of the database at url up to date and connects a pool to it.
func Open(ctx context.Context, url string, log *zap.Logger, opts ...Option) (*Store, error) {
	if err := migrateUp(ctx, url, log); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse database URL: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	s := &Store{pool: pool, log: log}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes every connection. The store must not be used afterwards.
func (s *Store) Close() { s.pool.Close() }
