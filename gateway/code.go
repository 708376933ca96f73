package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/gateway/sigv4"
	"github.com/lambdock/lambdock/internal/contract/tenant"

	"github.com/lambdock/lambdock/internal/infra/codestore"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// CodeFetcher is implemented by a CodeStore that can also return a zip (the JetStream code store
// does). With it, GetFunction's Code.Location is a URL on this gateway that serves the package,
// as Lambda's presigned S3 URL does; without it, Location is empty.
type CodeFetcher interface {
	// FetchCode returns the zip whose hex SHA-256 is sha256Hex.
	FetchCode(ctx context.Context, sha256Hex string) ([]byte, error)
}

// codePath is where packages are served, by hex SHA-256.
const codePath = "/lambdock/v1/code/"

// codeLinkExpiry is how long a presigned Code.Location stays valid: 10 minutes, as Lambda's.
const codeLinkExpiry = 10 * time.Minute

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// codeFetcher is the code store as a CodeFetcher, or nil.
func (g *Gateway) codeFetcher() CodeFetcher {
	f, _ := g.cfg.Code.(CodeFetcher)
	return f
}

// codeLocation is the URL of the package with hex SHA-256 sum, as the client reached this
// gateway, or "" when packages cannot be served. With authentication it is presigned with the
// caller's key for codeLinkExpiry, as Lambda presigns its S3 link, so a plain GET fetches it.
func (g *Gateway) codeLocation(c *gin.Context, sum string) string {
	if g.codeFetcher() == nil || sum == "" {
		return ""
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	if p := c.GetHeader("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	u := scheme + "://" + c.Request.Host + codePath + sum
	k, ok := c.Value(ctxKey).(*tenant.Key)
	if !ok {
		return u // authentication off: the link needs no signature
	}
	signed, err := sigv4.Presign(u, k.ID, k.Secret, g.cfg.Region, sigv4.DefaultService, time.Now(), codeLinkExpiry)
	if err != nil {
		g.log.Warn("presign code location", zap.Error(err))
		return ""
	}
	return signed
}

// getCode serves a deployment package: GET /lambdock/v1/code/{sha256}, only to an account with
// a function of that code (packages are stored once by content, for every account; another
// account's package is a 404 like a missing one).
func (g *Gateway) getCode(c *gin.Context) error {
	fetcher, sum := g.codeFetcher(), c.Param("sha256")
	if fetcher == nil || !sha256Pattern.MatchString(sum) {
		return g.unknownOperation(c)
	}
	notFound := lambdaerr.New(http.StatusNotFound, lambdaerr.CodeResourceNotFound, "Code not found: %s", sum)
	ctx := c.Request.Context()
	switch mine, err := g.cfg.Store.HasCode(ctx, accountOf(ctx), sum); {
	case err != nil:
		return fmt.Errorf("fetch code %s: %w", sum, err)
	case !mine:
		return notFound
	}
	zip, err := fetcher.FetchCode(ctx, sum)
	if errors.Is(err, codestore.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return fmt.Errorf("fetch code %s: %w", sum, err)
	}
	c.Data(http.StatusOK, "application/zip", zip)
	return nil
}
