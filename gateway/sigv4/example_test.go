package sigv4_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/lambdock/lambdock/gateway/sigv4"
)

// A handler that authenticates every request before serving it, answering a failure the way
// Lambda does: the status, x-amzn-ErrorType and a JSON body with the message.
func ExampleVerifier_Verify() {
	v := &sigv4.Verifier{
		Region: "us-east-1",
		Keys: sigv4.KeyLookupFunc(func(ctx context.Context, accessKeyID string) (string, error) {
			if accessKeyID == "AKIDEXAMPLE" {
				return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", nil
			}
			return "", sigv4.ErrUnknownKey
		}),
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 6<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		accessKeyID, err := v.Verify(r.Context(), r, body)
		var authErr *sigv4.Error
		switch {
		case errors.As(err, &authErr):
			w.Header().Set("x-amzn-ErrorType", authErr.Type)
			w.WriteHeader(authErr.Status)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": authErr.Message}) // best effort
			return
		case err != nil: // the key store failed
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "hello %s", accessKeyID)
	})

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/2015-03-31/functions/", nil))
	fmt.Println(w.Code, w.Header().Get("x-amzn-ErrorType"), strings.TrimSpace(w.Body.String()))
	// Output:
	// 403 MissingAuthenticationTokenException {"message":"Missing Authentication Token"}
}
