package gateway

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// queryMaxItems reads a list call's MaxItems query parameter: def when it is absent, else an
// integer in 1–hi.
func queryMaxItems(c *gin.Context, def, hi int) (int, error) {
	s, ok := c.GetQuery("MaxItems")
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, constraint("MaxItems", "be an integer")
	}
	if err := validRange("MaxItems", n, 1, hi); err != nil {
		return 0, err
	}
	return n, nil
}

// checkQuery refuses query parameters that no API takes and that PostgreSQL cannot store: a NUL
// byte or invalid UTF-8 in a name or a value (400, never a 500 from the store).
func checkQuery(c *gin.Context) error {
	for k, vs := range c.Request.URL.Query() {
		for _, v := range append(vs, k) {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return lambdaerr.InvalidParameter("Query parameter %q has a NUL byte or is not valid UTF-8.",
					strings.ToValidUTF8(k, "?"))
			}
		}
	}
	return nil
}
