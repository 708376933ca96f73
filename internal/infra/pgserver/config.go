package pgserver

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const (
	// port names the socket file (.s.PGSQL.5432); no TCP port is opened.
	port = 5432
	// superuser is the bootstrap superuser initdb creates; clients connect as it.
	superuser = "lambdock"
	// Database is the database Start creates for Lambdock.
	Database = "lambdock"
	// confFile holds Lambdock's settings, included from postgresql.conf.
	confFile = "lambdock.conf"
	// maxSocketPath is the longest socket path the kernel accepts (sun_path minus the NUL).
	maxSocketPath = 107
)

// includeDirective is appended once to postgresql.conf.
const includeDirective = "include_if_exists = '" + confFile + "'"

// socketDir is where the server puts its socket: the data directory when the socket path fits
// in sun_path, else a short directory under /tmp named by a hash of the data directory.
func socketDir(dataDir string) string {
	if len(socketPath(dataDir)) <= maxSocketPath {
		return dataDir
	}
	sum := sha256.Sum256([]byte(dataDir))
	return filepath.Join("/tmp", "lambdock-pg-"+hex.EncodeToString(sum[:6]))
}

func socketPath(dir string) string { return filepath.Join(dir, fmt.Sprintf(".s.PGSQL.%d", port)) }

// writeConfig writes lambdock.conf for this start and makes sure postgresql.conf includes it.
func writeConfig(dataDir, sockDir string, o *owner, durable bool) error {
	onOff := map[bool]string{true: "on", false: "off"}
	conf := strings.Join([]string{
		"# Written by Lambdock at every start; put your own settings in postgresql.auto.conf",
		"# (ALTER SYSTEM), which overrides this file.",
		"listen_addresses = ''",
		"unix_socket_directories = '" + strings.ReplaceAll(sockDir, "'", "''") + "'",
		fmt.Sprintf("port = %d", port),
		"fsync = " + onOff[durable],
		"synchronous_commit = " + onOff[durable],
		"full_page_writes = " + onOff[durable],
		"logging_collector = on",
		"log_directory = 'log'",
		"log_filename = 'postgresql-%a.log'",
		"log_truncate_on_rotation = on",
		"log_rotation_age = 1d",
		"log_rotation_size = 0",
		"",
	}, "\n")
	path := filepath.Join(dataDir, confFile)
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return fmt.Errorf("pgserver: write %s: %w", path, err)
	}
	if err := o.chown(path); err != nil {
		return err
	}
	main := filepath.Join(dataDir, "postgresql.conf")
	cur, err := os.ReadFile(main)
	if err != nil {
		return fmt.Errorf("pgserver: read %s: %w", main, err)
	}
	if bytes.Contains(cur, []byte(includeDirective)) {
		return nil
	}
	f, err := os.OpenFile(main, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgserver: open %s: %w", main, err)
	}
	if _, err := f.WriteString("\n" + includeDirective + "\t# Lambdock's settings\n"); err != nil {
		_ = f.Close()
		return fmt.Errorf("pgserver: append to %s: %w", main, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pgserver: close %s: %w", main, err)
	}
	return nil
}
