package sigv4_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

// TestPresign: a URL presigned by Presign passes Verify as a server receives it, until it
// expires; any change to it, or another secret, fails.
func TestPresign(t *testing.T) {
	u, err := sigv4.Presign("http://gw.example:8070/lambdock/v1/code/abc?x=1", testAKID, testSecret, testRegion, "",
		signTime, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	target := strings.TrimPrefix(u, "http://gw.example:8070")
	tests := []struct {
		name   string
		target string
		at     time.Duration
		want   string // error type, "" for success
	}{
		{"as signed", target, 0, ""},
		{"just before expiry", target, 10*time.Minute - time.Second, ""},
		{"expired", target, 11 * time.Minute, sigv4.TypeInvalidSignature},
		{"path changed", strings.Replace(target, "/abc", "/abd", 1), 0, sigv4.TypeInvalidSignature},
		{"query added", target + "&y=2", 0, sigv4.TypeInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := testVerifier()
			v.Now = func() time.Time { return signTime.Add(tt.at) }
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			r.Host = "gw.example:8070"
			id, err := v.Verify(context.Background(), r, nil)
			var e *sigv4.Error
			switch {
			case tt.want == "" && (err != nil || id != testAKID):
				t.Fatalf("Verify = %q, %v", id, err)
			case tt.want != "" && (!errors.As(err, &e) || e.Type != tt.want):
				t.Fatalf("Verify error %v, want %s", err, tt.want)
			}
		})
	}
	if _, err := sigv4.Presign("http://h/", testAKID, testSecret, testRegion, "", signTime, 8*24*time.Hour); err == nil {
		t.Error("an expiry over 7 days was accepted")
	}
}
