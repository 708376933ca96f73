package gateway

import (
	"regexp"
	"slices"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/store"
)

// logGroupPattern is what a LogGroup may be made of (Lambda's model).
var logGroupPattern = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)

// defaultLogLevel is the level both levels take when a function switches to JSON without them.
const defaultLogLevel = function.LogLevelInfo

// maxLogGroupLen is the longest LogGroup Lambda accepts.
const maxLogGroupLen = 512

// loggingConfig renders f's LoggingConfig as Lambda returns it: the format (Text by default),
// the levels with JSON, and the log group (/aws/lambda/<name> by default).
func loggingConfig(f *store.Function) lambdaapi.LoggingConfig {
	out := lambdaapi.LoggingConfig{LogFormat: f.Logging.LogFormat, LogGroup: f.Logging.LogGroup}
	if out.LogFormat == "" {
		out.LogFormat = lambdaapi.LogFormatText
	}
	if out.LogGroup == "" {
		out.LogGroup = "/aws/lambda/" + f.Name
	}
	if out.LogFormat == lambdaapi.LogFormatJSON {
		out.ApplicationLogLevel = f.Logging.ApplicationLogLevel
		out.SystemLogLevel = f.Logging.SystemLogLevel
	}
	return out
}

// applyLogging applies a request's LoggingConfig to f: each field given replaces the stored
// one. validateLogging checks the outcome; levels given with the Text format are refused
// there, and levels left over from JSON are cleared when the format goes back to Text.
func applyLogging(f *store.Function, in *lambdaapi.LoggingConfig) {
	if in == nil {
		return
	}
	l := &f.Logging
	if in.LogFormat != "" {
		l.LogFormat = in.LogFormat
	}
	if in.LogGroup != "" {
		l.LogGroup = in.LogGroup
	}
	if in.LogFormat == lambdaapi.LogFormatText && in.ApplicationLogLevel == "" && in.SystemLogLevel == "" {
		l.ApplicationLogLevel, l.SystemLogLevel = "", ""
	}
	if in.ApplicationLogLevel != "" {
		l.ApplicationLogLevel = in.ApplicationLogLevel
	}
	if in.SystemLogLevel != "" {
		l.SystemLogLevel = in.SystemLogLevel
	}
	if l.LogFormat == lambdaapi.LogFormatJSON {
		if l.ApplicationLogLevel == "" {
			l.ApplicationLogLevel = defaultLogLevel
		}
		if l.SystemLogLevel == "" {
			l.SystemLogLevel = defaultLogLevel
		}
	}
}

// validateLogging checks a function's LoggingConfig as it would be stored.
func validateLogging(f *store.Function) error {
	l := f.Logging
	if l.LogFormat != "" && !slices.Contains(function.LogFormats(), l.LogFormat) {
		return constraint("LoggingConfig.LogFormat", "satisfy enum value set: [JSON, Text]")
	}
	if l.ApplicationLogLevel != "" && !slices.Contains(function.ApplicationLogLevels(), l.ApplicationLogLevel) {
		return constraint("LoggingConfig.ApplicationLogLevel", "satisfy enum value set: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]")
	}
	if l.SystemLogLevel != "" && !slices.Contains(function.SystemLogLevels(), l.SystemLogLevel) {
		return constraint("LoggingConfig.SystemLogLevel", "satisfy enum value set: [DEBUG, INFO, WARN]")
	}
	if l.LogFormat != lambdaapi.LogFormatJSON && (l.ApplicationLogLevel != "" || l.SystemLogLevel != "") {
		return lambdaerr.InvalidParameter(`LogLevel is not supported when LogFormat is set to "Text". ` +
			`Remove LogLevel from your request or change the LogFormat to "Json" and try again.`)
	}
	if len(l.LogGroup) > maxLogGroupLen {
		return constraint("LoggingConfig.LogGroup", "have length less than or equal to %d", maxLogGroupLen)
	}
	if l.LogGroup != "" && !logGroupPattern.MatchString(l.LogGroup) {
		return constraint("LoggingConfig.LogGroup", `satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	}
	return nil
}
