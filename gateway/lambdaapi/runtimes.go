package lambdaapi

// RuntimeInfo is one managed runtime of ListRuntimes: its Lambda identifier, the image it runs
// on and what that image holds (internal/lambda/runtimes is the catalogue).
type RuntimeInfo struct {
	Runtime         string `json:"Runtime"`
	Family          string `json:"Family"`
	Image           string `json:"Image"`
	LanguageVersion string `json:"LanguageVersion,omitempty"`
	OperatingSystem string `json:"OperatingSystem"`
	SDK             string `json:"SDK,omitempty"`
	Deprecated      bool   `json:"Deprecated,omitempty"`
}

// ListRuntimesOutput is GET /lambdock/v1/runtimes (Lambdock's own): every runtime CreateFunction
// accepts, in catalogue order (newest first within a family).
type ListRuntimesOutput struct {
	Runtimes []RuntimeInfo `json:"Runtimes"`
}
