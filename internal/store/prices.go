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
	return readPrices(ctx, s.pool)
}

// priceQuerier is what readPrices reads through: the pool or a transaction.
type priceQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// readPrices reads the whole price book through q.
func readPrices(ctx context.Context, q priceQuerier) ([]billing.Price, error) {
	rows, err := q.Query(ctx, `SELECT id, COALESCE(account_id, ''), effective_from, currency,
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

// AddPrice adds p to the price book as it is (ID and CreatedAt are set by the store and
// returned); see ChangePrice for the errors.
func (s *Store) AddPrice(ctx context.Context, p billing.Price) (billing.Price, error) {
	return s.ChangePrice(ctx, p.AccountID, func([]billing.Price) (billing.Price, error) { return p, nil })
}

// ChangePrice adds a row to the price book, checked against the book as it is, atomically: in
// one transaction that holds the prices table's SHARE ROW EXCLUSIVE lock (so price changes run one
// at a time while readers go on), it checks that account (an override's; "" the platform) exists,
// reads the whole book, lets resolve compute the row from it (an error of resolve is returned as
// it is, wrapped) and inserts that row (ID and CreatedAt set by the store). So two concurrent
// changes never both pass a check that only one of them may pass (one currency per invoice
// month). A row of the same scope and effective date exists already: ErrExists. An account
// that does not exist: ErrNotFound (an existing override outlives its account, as history).
func (s *Store) ChangePrice(ctx context.Context, account string, resolve func(book []billing.Price) (billing.Price, error)) (billing.Price, error) {
	var p billing.Price
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE prices IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("store: lock prices: %w", err)
		}
		if account != "" {
			// FOR KEY SHARE: the account cannot be deleted before this commits.
			err := tx.QueryRow(ctx, `SELECT id FROM accounts WHERE id = $1 FOR KEY SHARE`, account).Scan(new(string))
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return fmt.Errorf("store: price for account %s: %w", account, ErrNotFound)
			case err != nil:
				return fmt.Errorf("store: price for account %s: %w", account, err)
			}
		}
		book, err := readPrices(ctx, tx)
		if err != nil {
			return err
		}
		if p, err = resolve(book); err != nil {
			return fmt.Errorf("store: price change: %w", err)
		}
		if p.AccountID != account {
			return fmt.Errorf("store: price change for account %q resolved to account %q", account, p.AccountID)
		}
		err = tx.QueryRow(ctx, `INSERT INTO prices (account_id, effective_from, currency, x86_gb_second,
				arm64_gb_second, per_million_requests, storage_gb_second, free_gb_seconds, free_requests)
			VALUES (NULLIF($1, ''), $2, $3, $4::numeric, $5::numeric, $6::numeric, $7::numeric, $8::numeric, $9)
			RETURNING id, created_at`,
			p.AccountID, p.EffectiveFrom, p.Currency, p.X86GBSecond.String(), p.Arm64GBSecond.String(),
			p.PerMillionRequests.String(), p.StorageGBSecond.String(), p.FreeGBSeconds.String(), p.FreeRequests,
		).Scan(&p.ID, &p.CreatedAt)
		switch {
		case isCode(err, pgerrcode.UniqueViolation):
			return fmt.Errorf("store: price effective %s: %w", p.EffectiveFrom.Format("2006-01-02T15:04Z"), ErrExists)
		case err != nil:
			return fmt.Errorf("store: add price: %w", err)
		}
		return nil
	})
	p.CreatedAt = p.CreatedAt.UTC()
	return p, err
}
