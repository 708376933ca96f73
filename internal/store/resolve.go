package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/lambdock/lambdock/internal/contract/function"
)

// Target is what a qualifier of a function resolves to for an invocation: one version, or an
// alias's version and, with routing, its additional version and that version's weight. Its
// records are shared by the callers of a cache and must not be modified.
type Target struct {
	// Alias is the alias the qualifier named; nil for $LATEST or a version.
	Alias *Alias
	// Version is the version that runs (the alias's FunctionVersion for an alias).
	Version *Function
	// Additional is the alias's additional version (RoutingConfig.AdditionalVersionWeights), nil
	// when it routes everything to Version.
	Additional *Function
	// Weight is the share (0–1) of invocations Additional gets.
	Weight float64
}

// Pick chooses the version one invocation runs: Additional when u (uniform in [0, 1)) is below
// its weight, else Version.
func (t *Target) Pick(u float64) *Function {
	if t.Additional != nil && u < t.Weight {
		return t.Additional
	}
	return t.Version
}

// VersionNumber is the published version a qualifier names: its number when q is the decimal
// form of a number ≥ 1 (as Lambda writes versions, without leading zeros), else ok is false.
func VersionNumber(q string) (n int, ok bool) {
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 || strconv.Itoa(n) != q {
		return 0, false
	}
	return n, true
}

// IsAliasName reports whether q can only be an alias: neither "", $LATEST nor all digits.
func IsAliasName(q string) bool {
	if q == "" || q == function.LatestVersion {
		return false
	}
	for i := 0; i < len(q); i++ {
		if q[i] < '0' || q[i] > '9' {
			return true
		}
	}
	return false
}

// ResolveQualifier reads what the qualifier of the account's function name resolves to: ""
// and $LATEST the function's $LATEST, a number that published version, anything else the
// alias of that name with its version(s), read in one snapshot (so a move of the alias and the
// deletion of its old version never show half done). It returns ErrNotFound when the function,
// version or alias does not exist (a string of digits that is not a version's number included).
func (s *Store) ResolveQualifier(ctx context.Context, account, name, qualifier string) (*Target, error) {
	if !IsAliasName(qualifier) {
		f, err := qualifiedVersion(ctx, s.pool, account, name, qualifier)
		if err != nil {
			return nil, err
		}
		return &Target{Version: f}, nil
	}
	var t *Target
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
		func(tx pgx.Tx) error {
			a, err := getAlias(ctx, tx, account, name, qualifier)
			if err != nil {
				return err
			}
			t = &Target{Alias: a}
			if t.Version, err = qualifiedVersion(ctx, tx, account, name, a.FunctionVersion); err != nil {
				return fmt.Errorf("store: version %s of alias %s: %w", a.FunctionVersion, qualifier, err)
			}
			for v, w := range a.Weights { // at most one (CreateAlias and UpdateAlias check)
				if t.Additional, err = qualifiedVersion(ctx, tx, account, name, v); err != nil {
					return fmt.Errorf("store: additional version %s of alias %s: %w", v, qualifier, err)
				}
				t.Weight = w
			}
			return nil
		})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("store: resolve %s:%s: %w", name, qualifier, err)
	}
	return t, nil
}

// qualifiedVersion reads $LATEST ("" or $LATEST) or a published version of the function on q.
func qualifiedVersion(ctx context.Context, q querier, account, name, version string) (*Function, error) {
	if version == "" || version == function.LatestVersion {
		return getFunction(ctx, q, account, name)
	}
	n, ok := VersionNumber(version)
	if !ok {
		return nil, fmt.Errorf("store: function %s version %q: %w", name, version, ErrNotFound)
	}
	return getVersion(ctx, q, account, name, n)
}
