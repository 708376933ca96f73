package gateway

import (
	"regexp"
	"strconv"

	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

// maxLayerNameLen bounds the LayerName path parameter (a name or a layer ARN).
const maxLayerNameLen = 140

var (
	// layerRefPattern is a LayerName path parameter: a name or a layer ARN, whose account must be
	// the caller's (layers belong to one account; Lambdock does not share them).
	layerRefPattern = regexp.MustCompile(`^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:(\d{12}):layer:)?([a-zA-Z0-9_-]+)$`)
	// layerVersionARNPattern is a layer version ARN: GetLayerVersionByArn's Arn and a function's
	// Layers. Groups: region, account, name, version.
	layerVersionARNPattern = regexp.MustCompile(
		`^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):layer:([a-zA-Z0-9_-]+):([0-9]+)$`)
)

// layerRef is a layer as a request names it.
type layerRef struct {
	Account string // the caller's account
	Name    string
	// Foreign is set when the request named a layer of another account by its ARN.
	Foreign bool
}

// parseLayerRef reads a LayerName path parameter in the caller's account.
func parseLayerRef(raw, caller string) (layerRef, error) {
	m := layerRefPattern.FindStringSubmatch(raw)
	if m == nil || len(raw) > maxLayerNameLen {
		return layerRef{}, constraint("LayerName",
			"have length less than or equal to %d and satisfy regular expression pattern: "+
				"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+",
			maxLayerNameLen)
	}
	return layerRef{Account: caller, Name: m[2], Foreign: m[1] != "" && m[1] != caller}, nil
}

// parseLayerVersion reads a VersionNumber path parameter.
func parseLayerVersion(raw string) (int, error) {
	n, err := strconv.ParseInt(raw, 10, 32)
	if err != nil || n < 1 {
		return 0, constraint("VersionNumber", "be a positive integer")
	}
	return int(n), nil
}

// layerVersionARN is a parsed layer version ARN.
type layerVersionARN struct {
	Region, Account, Name string
	Version               int
}

// parseLayerVersionARN parses a layer version ARN; ok is false when it is not one.
func parseLayerVersionARN(s string) (layerVersionARN, bool) {
	m := layerVersionARNPattern.FindStringSubmatch(s)
	if m == nil || len(s) > maxLayerNameLen+20 {
		return layerVersionARN{}, false
	}
	n, err := strconv.ParseInt(m[4], 10, 32)
	if err != nil || n < 1 {
		return layerVersionARN{}, false
	}
	return layerVersionARN{Region: m[1], Account: m[2], Name: m[3], Version: int(n)}, true
}

// layerARN is the ARN of the account's layer called name.
func (g *Gateway) layerARN(account, name string) string {
	return "arn:aws:lambda:" + g.cfg.Region + ":" + account + ":layer:" + name
}

// layerVersionARN is the ARN of a version of the account's layer.
func (g *Gateway) layerVersionARN(account, name string, version int) string {
	return g.layerARN(account, name) + ":" + strconv.Itoa(version)
}

// layerNotFound is Lambda's 404 for a layer or layer version that does not exist.
func layerNotFound() error {
	return lambdaerr.ResourceNotFound("The resource you requested does not exist.")
}
