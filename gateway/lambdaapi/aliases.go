package lambdaapi

// FunctionVersionAll is ListFunctions' FunctionVersion value that lists every published version
// besides $LATEST.
const FunctionVersionAll = "ALL"

// PublishVersionInput is the body of PublishVersion. CodeSha256 and RevisionId, when given, must
// match $LATEST for the version to be published.
type PublishVersionInput struct {
	CodeSha256  string `json:"CodeSha256,omitempty"`
	Description string `json:"Description,omitempty"`
	RevisionID  string `json:"RevisionId,omitempty"`
}

// ListVersionsByFunctionOutput is the body of ListVersionsByFunction: $LATEST first, then the
// published versions, oldest first.
type ListVersionsByFunctionOutput struct {
	Versions   []*FunctionConfiguration `json:"Versions"`
	NextMarker string                   `json:"NextMarker,omitempty"`
}

// AliasRoutingConfiguration is an alias's RoutingConfig: the one additional version and the share
// of invocations (0–1) it gets.
type AliasRoutingConfiguration struct {
	AdditionalVersionWeights map[string]float64 `json:"AdditionalVersionWeights,omitempty"`
}

// AliasConfiguration is Lambda's AliasConfiguration.
type AliasConfiguration struct {
	AliasArn        string                     `json:"AliasArn"`
	Name            string                     `json:"Name"`
	FunctionVersion string                     `json:"FunctionVersion"`
	Description     string                     `json:"Description"`
	RevisionID      string                     `json:"RevisionId"`
	RoutingConfig   *AliasRoutingConfiguration `json:"RoutingConfig,omitempty"`
}

// CreateAliasInput is the body of CreateAlias.
type CreateAliasInput struct {
	Name            string                     `json:"Name"`
	FunctionVersion string                     `json:"FunctionVersion"`
	Description     string                     `json:"Description,omitempty"`
	RoutingConfig   *AliasRoutingConfiguration `json:"RoutingConfig,omitempty"`
}

// UpdateAliasInput is the body of UpdateAlias: absent fields stay; a RoutingConfig without
// weights removes the routing.
type UpdateAliasInput struct {
	FunctionVersion *string                    `json:"FunctionVersion,omitempty"`
	Description     *string                    `json:"Description,omitempty"`
	RoutingConfig   *AliasRoutingConfiguration `json:"RoutingConfig,omitempty"`
	RevisionID      string                     `json:"RevisionId,omitempty"`
}

// ListAliasesOutput is the body of ListAliases.
type ListAliasesOutput struct {
	Aliases    []*AliasConfiguration `json:"Aliases"`
	NextMarker string                `json:"NextMarker,omitempty"`
}
