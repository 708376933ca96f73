package gateway

import (
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// Limits of a function URL's Cors configuration (DG API_Cors.md, lambda-api.md §9.4).
const (
	maxCorsListItems   = 100   // AllowHeaders, AllowOrigins, ExposeHeaders
	maxCorsMethods     = 6     // AllowMethods
	maxCorsMethodLen   = 6     // each method
	maxCorsOriginLen   = 253   // each origin (at least 1)
	maxCorsHeaderLen   = 1024  // each header name
	maxCorsMaxAge      = 86400 // seconds
	corsFieldPrefix    = "Cors."
	authTypeEnumValues = "satisfy enum value set: [AWS_IAM, NONE]"
)

// validateURLConfig checks the members a Create or Update body sets; empty AuthType and
// InvokeMode mean "not given" and pass.
func validateURLConfig(in *lambdaapi.FunctionURLConfigInput) error {
	switch in.AuthType {
	case "", lambdaapi.AuthTypeNone, lambdaapi.AuthTypeAWSIAM:
	default:
		return constraint("AuthType", authTypeEnumValues)
	}
	switch in.InvokeMode {
	case "", lambdaapi.InvokeModeBuffered, lambdaapi.InvokeModeResponseStream:
	default:
		return constraint("InvokeMode", "satisfy enum value set: [BUFFERED, RESPONSE_STREAM]")
	}
	if in.Cors == nil {
		return nil
	}
	return validateCors(in.Cors)
}

// validateCors checks a Cors configuration against Lambda's limits.
func validateCors(c *lambdaapi.Cors) error {
	lists := []struct {
		field    string
		values   []string
		maxItems int
		minLen   int
		maxLen   int
	}{
		{"AllowHeaders", c.AllowHeaders, maxCorsListItems, 0, maxCorsHeaderLen},
		{"AllowMethods", c.AllowMethods, maxCorsMethods, 0, maxCorsMethodLen},
		{"AllowOrigins", c.AllowOrigins, maxCorsListItems, 1, maxCorsOriginLen},
		{"ExposeHeaders", c.ExposeHeaders, maxCorsListItems, 0, maxCorsHeaderLen},
	}
	for _, l := range lists {
		if len(l.values) > l.maxItems {
			return constraint(corsFieldPrefix+l.field, "have length less than or equal to %d", l.maxItems)
		}
		for _, v := range l.values {
			if len(v) < l.minLen {
				return constraint(corsFieldPrefix+l.field, "have member lengths greater than or equal to %d", l.minLen)
			}
			if len(v) > l.maxLen {
				return constraint(corsFieldPrefix+l.field, "have member lengths less than or equal to %d", l.maxLen)
			}
		}
	}
	if c.MaxAge != nil {
		return validRange(corsFieldPrefix+"MaxAge", *c.MaxAge, 0, maxCorsMaxAge)
	}
	return nil
}
