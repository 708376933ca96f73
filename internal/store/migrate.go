package store

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"go.uber.org/zap"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrateUp applies every migration the database does not have yet.
func migrateUp(ctx context.Context, url string, log *zap.Logger) error {
	connCfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("store: parse database URL: %w", err)
	}
	db := stdlib.OpenDB(*connCfg)
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	src, err := iofs.New(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("store: read migrations: %w", err)
	}
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{})
	if err != nil {
		return fmt.Errorf("store: prepare migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		return fmt.Errorf("store: prepare migrations: %w", err)
	}
	defer m.Close()
	m.Log = migrateLogger{log}
	// migrate has no context; stop it when ctx ends.
	stop := context.AfterFunc(ctx, func() { m.GracefulStop <- true })
	defer stop()
	switch err := m.Up(); {
	case errors.Is(err, migrate.ErrNoChange):
	case err != nil:
		return fmt.Errorf("store: migrate schema: %w", err)
	}
	v, dirty, err := m.Version()
	if err != nil {
		return fmt.Errorf("store: schema version: %w", err)
	}
	if dirty {
		return fmt.Errorf("store: schema version %d is dirty (a migration failed half-way): fix the "+
			"database by hand, then clear the flag in schema_migrations", v)
	}
	log.Debug("schema up to date", zap.Uint("version", v))
	return nil
}

// migrateLogger sends golang-migrate's messages to zap.
type migrateLogger struct{ log *zap.Logger }

func (l migrateLogger) Printf(format string, v ...any) { l.log.Sugar().Infof("migrate: "+format, v...) }
func (l migrateLogger) Verbose() bool                  { return false }
