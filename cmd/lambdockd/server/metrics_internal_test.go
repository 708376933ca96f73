package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadMetricsToken: the token is the file's trimmed content; a missing or empty file is an
// error that does not show the token.
func TestReadMetricsToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, want, wantErr string
	}{
		{name: "none", path: ""},
		{name: "trimmed", path: write("tok", "  abc123\n"), want: "abc123"},
		{name: "empty", path: write("empty", " \n"), wantErr: "is empty"},
		{name: "missing", path: filepath.Join(dir, "nope"), wantErr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readMetricsToken(tt.path)
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want one with %q", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatal(err)
			case got != tt.want:
				t.Errorf("token %q, want %q", got, tt.want)
			}
		})
	}
}
