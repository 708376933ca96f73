package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/store"
)

// panickyStore panics on every read.
type panickyStore struct{ Store }

func (panickyStore) GetFunction(context.Context, string, string) (*store.Function, error) {
	panic("boom")
}

// TestPanicIsServiceException checks that a panic becomes a logged 500 ServiceException.
func TestPanicIsServiceException(t *testing.T) {
	g := &Gateway{cfg: Config{Store: panickyStore{}}, log: zap.NewNop()}
	g.engine = g.routes()
	rec := httptest.NewRecorder()
	g.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/2015-03-31/functions/fn", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get(lambdaapi.HeaderErrorType) != "ServiceException" ||
		!strings.Contains(rec.Body.String(), `"Type":"Service"`) || rec.Header().Get(lambdaapi.HeaderRequestID) == "" {
		t.Errorf("panic answered %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}
