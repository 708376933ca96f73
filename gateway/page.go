package gateway

import (
	"strconv"

	"github.com/gin-gonic/gin"
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
