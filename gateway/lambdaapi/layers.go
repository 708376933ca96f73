package lambdaapi

// Layer limits and enums (lambda-api.md §9.3).
const (
	// MaxFunctionLayers is how many layers a function may use.
	MaxFunctionLayers = 5
	// MaxLayerListMaxItems bounds ListLayers' and ListLayerVersions' MaxItems.
	MaxLayerListMaxItems = 50
	// MaxCompatibleRuntimes and MaxCompatibleArchitectures bound a layer version's lists.
	MaxCompatibleRuntimes      = 15
	MaxCompatibleArchitectures = 2
	// MaxLayerDescriptionLen and MaxLicenseInfoLen bound a layer version's texts.
	MaxLayerDescriptionLen = 256
	MaxLicenseInfoLen      = 512
	// ArchitectureArm64 is the other architecture a layer may declare.
	ArchitectureArm64 = "arm64"
	// FindLayerVersion is GetLayerVersionByArn's find query parameter.
	FindLayerVersion = "LayerVersion"
)

// Layer is one layer of a function, in FunctionConfiguration.Layers.
type Layer struct {
	Arn      string `json:"Arn"`
	CodeSize int64  `json:"CodeSize"`
}

// LayerVersionContentInput is PublishLayerVersion's Content. Only ZipFile is supported by
// Lambdock.
type LayerVersionContentInput struct {
	ZipFile         []byte `json:"ZipFile,omitempty"`
	S3Bucket        string `json:"S3Bucket,omitempty"`
	S3Key           string `json:"S3Key,omitempty"`
	S3ObjectVersion string `json:"S3ObjectVersion,omitempty"`
}

// PublishLayerVersionInput is the body of PublishLayerVersion.
type PublishLayerVersionInput struct {
	Content                 LayerVersionContentInput `json:"Content"`
	Description             string                   `json:"Description,omitempty"`
	LicenseInfo             string                   `json:"LicenseInfo,omitempty"`
	CompatibleRuntimes      []string                 `json:"CompatibleRuntimes,omitempty"`
	CompatibleArchitectures []string                 `json:"CompatibleArchitectures,omitempty"`
}

// LayerVersionContentOutput is a layer version's Content: where to download its zip (a link
// valid for 10 minutes, as Lambda's), its base64 SHA-256 and its size.
type LayerVersionContentOutput struct {
	Location   string `json:"Location,omitempty"`
	CodeSha256 string `json:"CodeSha256"`
	CodeSize   int64  `json:"CodeSize"`
}

// LayerVersion is the body of PublishLayerVersion, GetLayerVersion and GetLayerVersionByArn.
type LayerVersion struct {
	Content                 *LayerVersionContentOutput `json:"Content"`
	LayerArn                string                     `json:"LayerArn"`
	LayerVersionArn         string                     `json:"LayerVersionArn"`
	Description             string                     `json:"Description,omitempty"`
	CreatedDate             string                     `json:"CreatedDate"`
	Version                 int                        `json:"Version"`
	CompatibleRuntimes      []string                   `json:"CompatibleRuntimes,omitempty"`
	LicenseInfo             string                     `json:"LicenseInfo,omitempty"`
	CompatibleArchitectures []string                   `json:"CompatibleArchitectures,omitempty"`
}

// LayerVersionsListItem is one version in ListLayerVersions and ListLayers (no Content, no
// LayerArn).
type LayerVersionsListItem struct {
	LayerVersionArn         string   `json:"LayerVersionArn"`
	Version                 int      `json:"Version"`
	Description             string   `json:"Description,omitempty"`
	CreatedDate             string   `json:"CreatedDate"`
	CompatibleRuntimes      []string `json:"CompatibleRuntimes,omitempty"`
	LicenseInfo             string   `json:"LicenseInfo,omitempty"`
	CompatibleArchitectures []string `json:"CompatibleArchitectures,omitempty"`
}

// LayersListItem is one layer in ListLayers, with its latest version matching the filter.
type LayersListItem struct {
	LayerName             string                 `json:"LayerName"`
	LayerArn              string                 `json:"LayerArn"`
	LatestMatchingVersion *LayerVersionsListItem `json:"LatestMatchingVersion"`
}

// ListLayersOutput is the body of ListLayers.
type ListLayersOutput struct {
	Layers     []*LayersListItem `json:"Layers"`
	NextMarker string            `json:"NextMarker,omitempty"`
}

// ListLayerVersionsOutput is the body of ListLayerVersions.
type ListLayerVersionsOutput struct {
	LayerVersions []*LayerVersionsListItem `json:"LayerVersions"`
	NextMarker    string                   `json:"NextMarker,omitempty"`
}
