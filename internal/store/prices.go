package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/lambdock/lambdock/internal/billing"
)

// Prices is the whole price book, the platform's rows and every account's, by effective date.
func (s *Store) Prices(ctx context.Context) ([]billing.Price, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, COALESCE(account_id, ''), effective_from, currency,
			x86_gb_second::text, arm64_gb_second::text, per_million_requests::text, storage_gb_second::text,
			free_gb_seconds::text, free_requests, created_at
		FROM prices ORDER BY effective_from, id`)
	if err != nil {
		return nil, fmt.Errorf("store: read prices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (billing.Price, error) {
		var (
			p                       billing.Price
			x86, arm, req, sto, fre string
		)
		if err := r.Scan(&p.ID, &p.AccountID, &p.EffectiveFrom, &p.Currency, &x86, &arm, &req, &sto, &fre,
			&p.FreeRequests, &p.CreatedAt); err != nil {
			return p, err
		}
		p.EffectiveFrom, p.CreatedAt = p.EffectiveFrom.UTC(), p.CreatedAt.UTC()
		var errs []error
		for _, f := range []struct {
			dst *decimal.Decimal
			src string
		}{{&p.X86GBSecond, x86}, {&p.Arm64GBSecond, arm}, {&p.PerMillionRequests, req}, {&p.StorageGBSecond, sto},
			{&p.FreeGBSeconds, fre}} {
			d, err := decimal.NewFromString(f.src)
			*f.dst = d
			errs = append(errs, err)
		}
		return p, errors.Join(errs...)
	})
	if err != nil {
		return nil, fmt.Errorf("store: read prices: %w", err)
	}
	return out, nil
}

// AddPrice adds a row to the price book (ID and CreatedAt are set by the store and returned).
// A row of the same scope (platform or account) and effective date exists already: ErrExists.
// An account that does not exist: ErrNotFound.
func (s *Store) AddPrice(ctx context.Context, p billing.Price) (billing.Price, error) {
	err := s.pool.QueryRow(ctx, `INSERT INTO prices (account_id, effective_from, currency, x86_gb_second,
			arm64_gb_second, per_million_requests, storage_gb_second, free_gb_seconds, free_requests)
		VALUES (NULLIF($1, ''), $2, $3, $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8::numeric, $9)
		RETURNING id, created_at`,
		p.AccountID, p.EffectiveFrom, p.Currency, p.X86GBSecond.String(), p.Arm64GBSecond.String(),
		p.PerMillionRequests.String(), p.StorageGBSecond.String(), p.FreeGBSeconds.String(), p.FreeRequests,
	).Scan(&p.ID, &p.CreatedAt)
	switch {
	case isCode(err, pgerrcode.UniqueViolation):
		return p, fmt.Errorf("store: price effective %s: %w", p.EffectiveFrom.Format("2006-01-02T15:04Z"), ErrExists)
	case isCode(err, pgerrcode.ForeignKeyViolation):
		return p, fmt.Errorf("store: price for account %s: %w", p.AccountID, ErrNotFound)
	case err != nil:
		return p, fmt.Errorf("store: add price: %w", err)
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, nil
}
