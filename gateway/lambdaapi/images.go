package lambdaapi

// ImageConfig overrides a container image's ENTRYPOINT, CMD and WORKDIR (DG API_ImageConfig.md);
// an absent or empty field keeps the image's own.
type ImageConfig struct {
	EntryPoint       []string `json:"EntryPoint,omitempty"`
	Command          []string `json:"Command,omitempty"`
	WorkingDirectory string   `json:"WorkingDirectory,omitempty"`
}

// ImageConfigResponse is FunctionConfiguration.ImageConfigResponse.
type ImageConfigResponse struct {
	ImageConfig *ImageConfig      `json:"ImageConfig,omitempty"`
	Error       *ImageConfigError `json:"Error,omitempty"`
}

// ImageConfigError is an error Lambda met reading an image's configuration.
type ImageConfigError struct {
	ErrorCode string `json:"ErrorCode,omitempty"`
	Message   string `json:"Message,omitempty"`
}
