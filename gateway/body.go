package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// Request body limits.
const (
	// maxCodeRequest is Lambda's limit on a request carrying a base64 zip (CreateFunction,
	// UpdateFunctionCode): 50 MB zipped, base64-encoded, plus the rest of the JSON.
	maxCodeRequest = 70167211
	// maxConfigRequest bounds the other management bodies.
	maxConfigRequest = 1 << 20
)

// tooLarge is Lambda's 413 for a request body over limit.
func tooLarge(limit int64, operation string) error {
	return lambdaerr.New(http.StatusRequestEntityTooLarge, lambdaerr.CodeRequestTooLarge,
		"Request must be smaller than %d bytes for the %s operation", limit, operation)
}

// readBody reads the request body, refusing more than limit bytes without buffering them. A body
// the authentication middleware already read (within the route's limit) is returned as is.
func readBody(c *gin.Context, limit int64, operation string) ([]byte, error) {
	if b, ok := c.Get(ctxBody); ok {
		return b.([]byte), nil
	}
	if c.Request.ContentLength > limit {
		return nil, tooLarge(limit, operation)
	}
	b, err := io.ReadAll(io.LimitReader(c.Request.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s request body: %w", operation, err)
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(limit, operation)
	}
	return b, nil
}

// readJSON reads a JSON request body into dst.
func readJSON(c *gin.Context, limit int64, operation string, dst any) error {
	b, err := readBody(c, limit, operation)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return lambdaerr.InvalidRequestContent("Could not parse request body into json: %v", err)
	}
	return nil
}

// writeJSON renders v with Lambda's Content-Type (no charset parameter).
func writeJSON(c *gin.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	c.Data(status, "application/json", b)
	return nil
}
