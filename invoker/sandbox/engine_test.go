package sandbox

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/docker/docker/client"
)

// TestRemove checks how Remove reads the Docker API's answers, served by a fake daemon.
func TestRemove(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		message string
		wantErr bool
	}{
		{"removed", http.StatusNoContent, "", false},
		{"already gone", http.StatusNotFound, "No such container: c1", false},
		{"removal already under way: still there", http.StatusConflict, "removal of container c1 is already in progress", true},
		{"daemon error", http.StatusInternalServerError, "driver failed", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodDelete || !strings.HasSuffix(r.URL.Path, "/containers/c1") {
					t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
				}
				if tc.message == "" {
					w.WriteHeader(tc.status)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(`{"message":"` + tc.message + `"}`)) // the client reads what it gets
			}))
			defer srv.Close()
			cli, err := client.NewClientWithOpts(client.WithHost("tcp://"+strings.TrimPrefix(srv.URL, "http://")),
				client.WithVersion("1.45"))
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			err = (&Engine{cli: cli}).Remove(context.Background(), "c1")
			if (err != nil) != tc.wantErr {
				t.Errorf("Remove: %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
