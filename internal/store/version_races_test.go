package store_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/store"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// TestPublishComparesContent publishes after changes that are and are not changes of code or
// configuration: a new RevisionId alone (what `lambdock deploy` of the same code gives) is
// not, $LATEST's description is, a version's own description is not, and a deleted newest
// version is published again. $LATEST gets a new RevisionId with each new version only.
func TestPublishComparesContent(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	f := sample("f")
	if err := st.CreateFunction(ctx, f); err != nil {
		t.Fatal(err)
	}
	v1, created, err := st.PublishVersion(ctx, admin, "f", store.PublishInput{Description: "first"})
	if err != nil || !created || v1.Version != 1 {
		t.Fatalf("first publish: %+v, %v, %v", v1, created, err)
	}
	tests := []struct {
		name   string
		change func(f *store.Function)
		del    int // version to delete before publishing
		in     store.PublishInput
		want   int
		create bool
	}{
		{name: "same content, new revision", change: func(*store.Function) {}, want: 1},
		{name: "same environment rewritten", change: func(f *store.Function) {
			f.Environment = map[string]string{"B": "two", "A": "1"}
		}, want: 1},
		{name: "another description for the version", in: store.PublishInput{Description: "again"}, want: 1},
		{name: "new code", change: func(f *store.Function) { f.CodeSHA256 = "cd34" }, want: 2, create: true},
		{name: "same code again", change: func(*store.Function) {}, want: 2},
		{name: "$LATEST's description", change: func(f *store.Function) { f.Description = "new" }, want: 3, create: true},
		{name: "an image config", change: func(f *store.Function) { f.ImageConfig = &store.ImageConfig{Command: []string{"x"}} }, want: 4, create: true},
		{name: "image config unchanged", change: func(*store.Function) {}, want: 4},
		{name: "newest deleted", del: 4, want: 5, create: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.change != nil {
				cur, err := st.GetFunction(ctx, admin, "f")
				if err != nil {
					t.Fatal(err)
				}
				tt.change(cur)
				if err := st.UpdateFunction(ctx, cur); err != nil {
					t.Fatal(err)
				}
			}
			if tt.del != 0 {
				if err := st.DeleteVersion(ctx, admin, "f", tt.del); err != nil {
					t.Fatal(err)
				}
			}
			before, err := st.GetFunction(ctx, admin, "f")
			if err != nil {
				t.Fatal(err)
			}
			v, created, err := st.PublishVersion(ctx, admin, "f", tt.in)
			if err != nil || v.Version != tt.want || created != tt.create {
				t.Fatalf("publish: version %+v, created %v, %v; want version %d, created %v", v, created, err, tt.want, tt.create)
			}
			after, err := st.GetFunction(ctx, admin, "f")
			if err != nil {
				t.Fatal(err)
			}
			if (after.RevisionID != before.RevisionID) != tt.create {
				t.Errorf("$LATEST's RevisionId %s → %s; want a new one only with a new version", before.RevisionID, after.RevisionID)
			}
		})
	}
	if v, err := st.GetVersion(ctx, admin, "f", 1); err != nil || v.Description != "first" {
		t.Errorf("version 1 = %+v, %v; want its own description kept", v, err)
	}
}

// TestAliasVersionsChecked: CreateAlias, UpdateAlias and RollbackAlias refuse versions that do
// not exist (a *QualifierNotFoundError naming the version), and run the caller's check on the
// alias as it is to be stored.
func TestAliasVersionsChecked(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	publishVersions(t, st, "f", 3, "prod")
	if _, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{FunctionVersion: ptr("2")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{FunctionVersion: ptr("3")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteVersion(ctx, admin, "f", 2); err != nil { // prod's previous version
		t.Fatal(err)
	}
	errCheck := errors.New("refused")
	var seen *store.Alias
	check := func(a *store.Alias) error {
		copied := *a
		seen = &copied
		if len(a.Weights) > 0 && a.FunctionVersion == "$LATEST" {
			return errCheck
		}
		return nil
	}
	tests := []struct {
		name    string
		do      func() error
		missing string // the version reported missing
		want    error
	}{
		{name: "create on a missing version", missing: "9", do: func() error {
			return st.CreateAlias(ctx, &store.Alias{AccountID: admin, FunctionName: "f", Name: "a", FunctionVersion: "9"}, check)
		}},
		{name: "create with a missing additional version", missing: "2", do: func() error {
			return st.CreateAlias(ctx, &store.Alias{AccountID: admin, FunctionName: "f", Name: "a", FunctionVersion: "1",
				Weights: map[string]float64{"2": 0.5}}, check)
		}},
		{name: "create refused by the check", want: errCheck, do: func() error {
			return st.CreateAlias(ctx, &store.Alias{AccountID: admin, FunctionName: "f", Name: "a", FunctionVersion: "$LATEST",
				Weights: map[string]float64{"1": 0.5}}, check)
		}},
		{name: "move to a missing version", missing: "2", do: func() error {
			_, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{FunctionVersion: ptr("2")}, check)
			return err
		}},
		{name: "route to a missing version", missing: "7", do: func() error {
			w := map[string]float64{"7": 0.5}
			_, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{Weights: &w}, check)
			return err
		}},
		{name: "the check sees the stored alias with the change", want: errCheck, do: func() error {
			w := map[string]float64{"1": 0.5}
			if _, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{Weights: &w}, nil); err != nil {
				return err
			}
			defer func() {
				none := map[string]float64{}
				_, _ = st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{Weights: &none}, nil)
			}()
			_, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{FunctionVersion: ptr("$LATEST")}, check)
			if err == errCheck && (seen.FunctionVersion != "$LATEST" || seen.Weights["1"] != 0.5) {
				t.Errorf("the check saw %+v", seen)
			}
			return err
		}},
		{name: "rollback to a deleted version", missing: "2", do: func() error {
			_, err := st.RollbackAlias(ctx, admin, "f", "prod")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			var missing *store.QualifierNotFoundError
			switch {
			case tt.missing != "" && (!errors.As(err, &missing) || missing.Qualifier != tt.missing || !errors.Is(err, store.ErrNotFound)):
				t.Fatalf("error %v, want version %s missing", err, tt.missing)
			case tt.missing == "" && err != tt.want: // returned as it is
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
	if a, err := st.GetAlias(ctx, admin, "f", "prod"); err != nil || a.FunctionVersion != "3" || len(a.History) != 2 {
		t.Errorf("prod after the refusals: %+v, %v; want it on 3 with its history", a, err)
	}
	if _, err := st.GetAlias(ctx, admin, "f", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("alias a: %v, want none created", err)
	}
}

// TestAliasAndVersionDeletionRace creates aliases on a version while it is deleted: an alias
// never ends up pointing at a deleted version.
func TestAliasAndVersionDeletionRace(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	for i := range 15 {
		f, err := st.GetFunction(ctx, admin, "f")
		if err != nil {
			t.Fatal(err)
		}
		f.MemoryMB = 128 + 64*i
		if err := st.UpdateFunction(ctx, f); err != nil {
			t.Fatal(err)
		}
		v, _, err := st.PublishVersion(ctx, admin, "f", store.PublishInput{})
		if err != nil {
			t.Fatal(err)
		}
		name := "a" + strconv.Itoa(i)
		var wg sync.WaitGroup
		var createErr, deleteErr error
		wg.Go(func() {
			createErr = st.CreateAlias(ctx, &store.Alias{AccountID: admin, FunctionName: "f", Name: name,
				FunctionVersion: "$LATEST", Weights: map[string]float64{v.VersionName(): 0.5}}, nil)
		})
		wg.Go(func() { deleteErr = st.DeleteVersion(ctx, admin, "f", v.Version) })
		wg.Wait()
		_, aliasErr := st.GetAlias(ctx, admin, "f", name)
		_, versionErr := st.GetVersion(ctx, admin, "f", v.Version)
		if aliasErr == nil && versionErr != nil {
			t.Fatalf("round %d: alias %s routes to deleted version %d (create %v, delete %v)", i, name, v.Version,
				createErr, deleteErr)
		}
	}
}

// TestConfigsDoNotOutliveTheirAlias writes a configuration on an alias while DeleteAlias is
// under way (its transaction has deleted the alias row and not yet committed): the write waits
// for it and then fails with ErrNotFound, so no configuration comes back with a later alias of
// the same name.
func TestConfigsDoNotOutliveTheirAlias(t *testing.T) {
	url := testenv.Postgres(t)
	ctx := context.Background()
	st, err := store.Open(ctx, url, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	publishVersions(t, st, "f", 1)
	tests := []struct {
		name  string
		write func(alias string) error
		read  func(alias string) error
	}{
		{"function URL", func(alias string) error {
			return st.CreateFunctionURL(ctx, &store.FunctionURL{AccountID: admin, FunctionName: "f", Qualifier: alias,
				AuthType: "NONE", InvokeMode: "BUFFERED"})
		}, func(alias string) error {
			_, err := st.GetFunctionURL(ctx, admin, "f", alias)
			return err
		}},
		{"event invoke config", func(alias string) error {
			return st.PutEventInvokeConfig(ctx, &store.EventInvokeConfig{AccountID: admin, FunctionName: "f",
				Qualifier: alias, MaximumRetryAttempts: intp(0)})
		}, func(alias string) error {
			_, err := st.EventInvokeConfig(ctx, admin, "f", alias)
			return err
		}},
		{"provisioned concurrency", func(alias string) error {
			_, err := st.PutProvisionedConfig(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: "f",
				Qualifier: alias, Requested: 1})
			return err
		}, func(alias string) error {
			_, err := st.GetProvisionedConfig(ctx, admin, "f", alias)
			return err
		}},
		{"provisioned concurrency within limits", func(alias string) error {
			_, err := st.ProvisionConcurrency(ctx, &store.ProvisionedConfig{AccountID: admin, FunctionName: "f",
				Qualifier: alias, Requested: 1}, 100)
			return err
		}, func(alias string) error {
			_, err := st.GetProvisionedConfig(ctx, admin, "f", alias)
			return err
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alias := "live" + strconv.Itoa(i)
			if err := st.CreateAlias(ctx, &store.Alias{AccountID: admin, FunctionName: "f", Name: alias,
				FunctionVersion: "1"}, nil); err != nil {
				t.Fatal(err)
			}
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			// DeleteAlias's transaction, half done: the alias row is gone, not yet committed.
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx) //nolint:errcheck // committed below
			if _, err := tx.Exec(ctx, `DELETE FROM function_aliases WHERE account_id = $1 AND function_name = 'f'
				AND name = $2`, admin, alias); err != nil {
				t.Fatal(err)
			}
			wrote := make(chan error, 1)
			go func() { wrote <- tt.write(alias) }()
			select {
			case err := <-wrote:
				t.Fatalf("the write did not wait for the alias's deletion: %v", err)
			case <-time.After(300 * time.Millisecond):
			}
			for _, q := range []string{
				`DELETE FROM function_urls WHERE account_id = $1 AND function_name = 'f' AND qualifier = $2`,
				`DELETE FROM provisioned_concurrency WHERE account_id = $1 AND function_name = 'f' AND qualifier = $2`,
				`DELETE FROM event_invoke_configs WHERE account_id = $1 AND function_name = 'f' AND qualifier = $2`,
			} {
				if _, err := tx.Exec(ctx, q, admin, alias); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if err := <-wrote; !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("write on a deleted alias: %v, want ErrNotFound", err)
			}
			if err := st.CreateAlias(ctx, &store.Alias{AccountID: admin, FunctionName: "f", Name: alias,
				FunctionVersion: "1"}, nil); err != nil {
				t.Fatal(err)
			}
			if err := tt.read(alias); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a new alias %s has the old one's configuration: %v", alias, err)
			}
		})
	}
}

// TestResolveDuringMove resolves an alias while it is moved to a new version and its old
// version deleted, again and again: it never answers not found.
func TestResolveDuringMove(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	if err := st.CreateFunction(ctx, sample("f")); err != nil {
		t.Fatal(err)
	}
	publishVersions(t, st, "f", 1, "prod")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var resolveErr error
	wg.Go(func() {
		for ctx.Err() == nil {
			if _, err := st.ResolveQualifier(ctx, admin, "f", "prod"); err != nil && ctx.Err() == nil {
				resolveErr = err
				return
			}
		}
	})
	for i := 2; i <= 25 && resolveErr == nil; i++ {
		publishVersions(t, st, "f", i)
		if _, err := st.UpdateAlias(ctx, admin, "f", "prod", store.AliasUpdate{FunctionVersion: ptr(strconv.Itoa(i))}, nil); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteVersion(ctx, admin, "f", i-1); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	if resolveErr != nil {
		t.Fatalf("resolve during a move: %v", resolveErr)
	}
}

// ptr is a pointer to s.
func ptr(s string) *string { return &s }
