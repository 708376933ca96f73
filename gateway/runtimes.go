package gateway

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/lambda/runtimes"
)

// runtimesPath lists the managed runtimes (ListRuntimes, Lambdock's own).
const runtimesPath = "/lambdock/v1/runtimes"

// listRuntimes is ListRuntimes: the catalogue of runtimes CreateFunction accepts. Whether each
// image is present is the invokers' business (the gateway may run without Docker), so it is
// not reported.
func (g *Gateway) listRuntimes(c *gin.Context) error {
	all := runtimes.All()
	out := lambdaapi.ListRuntimesOutput{Runtimes: make([]lambdaapi.RuntimeInfo, len(all))}
	for i, r := range all {
		out.Runtimes[i] = lambdaapi.RuntimeInfo{
			Runtime:         r.ID,
			Family:          r.Family,
			Image:           r.Image,
			LanguageVersion: r.Language,
			OperatingSystem: r.OS,
			SDK:             r.SDK,
			Deprecated:      r.Deprecated,
		}
	}
	return writeJSON(c, http.StatusOK, out)
}

// retired reports whether Lambda itself no longer accepts the runtime id in CreateFunction or
// UpdateFunctionConfiguration (the "block function create and update" phase of its deprecation
// policy), with the family of its successor in the catalogue ("" when Lambdock has none).
func retired(id string) (family string, ok bool) {
	switch id {
	case "python2.7", "python3.6", "python3.7":
		return runtimes.FamilyPython, true
	case "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
		"nodejs14.x", "nodejs16.x":
		return runtimes.FamilyNode, true
	case "go1.x": // Lambda's successor for Go is an OS-only runtime
		return runtimes.FamilyProvided, true
	case "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet5.0", "ruby2.5", "ruby2.7", "java8":
		return "", true
	}
	return "", false
}

// validateRuntime checks a function's Runtime against the catalogue with Lambda's errors: a
// runtime Lambda has retired gets "no longer supported" with the catalogue's newest runtime of
// its family as the recommendation; anything else outside the catalogue fails the enum
// constraint, which lists the catalogue.
func validateRuntime(id string) error {
	if _, ok := runtimes.Lookup(id); ok {
		return nil
	}
	if family, ok := retired(id); ok {
		if next := newestOf(family); next != "" {
			return lambdaerr.InvalidParameter("The runtime parameter of %s is no longer supported for creating or "+
				"updating AWS Lambda functions. We recommend you use the new runtime (%s) while creating or "+
				"updating functions.", id, next)
		}
		return lambdaerr.InvalidParameter("The runtime parameter of %s is no longer supported for creating or "+
			"updating AWS Lambda functions. We recommend you use a supported runtime while creating or "+
			"updating functions.", id)
	}
	return lambdaerr.InvalidParameter("Value %s at 'runtime' failed to satisfy constraint: Member must satisfy "+
		"enum value set: [%s] or be a valid ARN", id, strings.Join(runtimes.IDs(), ", "))
}

// newestOf is the first (newest) runtime of family in the catalogue that is not deprecated, ""
// when there is none.
func newestOf(family string) string {
	all := runtimes.All()
	if i := slices.IndexFunc(all, func(r runtimes.Runtime) bool { return r.Family == family && !r.Deprecated }); i >= 0 {
		return all[i].ID
	}
	return ""
}
