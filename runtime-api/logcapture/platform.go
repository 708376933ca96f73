package logcapture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/lambda/rules"
)

// Log formats and log levels of a function's LoggingConfig (lambda-api.md §7).
const (
	FormatText = function.LogFormatText
	FormatJSON = function.LogFormatJSON

	LevelTrace = function.LogLevelTrace
	LevelDebug = function.LogLevelDebug
	LevelInfo  = function.LogLevelInfo
	LevelWarn  = function.LogLevelWarn
	LevelError = function.LogLevelError
	LevelFatal = function.LogLevelFatal
)

// Format is how platform lines are written: Lambda's text lines (the default), or with
// LogFormat JSON its system log records, one JSON object per line, of which those below
// SystemLevel are left out. With LogFormat JSON the function's own JSON lines below
// ApplicationLevel are left out too (Journal.Line, appLevelOf).
type Format struct {
	JSON             bool
	SystemLevel      string // DEBUG, INFO (the default) or WARN
	ApplicationLevel string // TRACE, DEBUG, INFO (the default), WARN, ERROR or FATAL
}

// NewFormat is the Format of a LoggingConfig's LogFormat, SystemLogLevel and
// ApplicationLogLevel.
func NewFormat(logFormat, systemLevel, applicationLevel string) Format {
	return Format{JSON: logFormat == FormatJSON, SystemLevel: systemLevel, ApplicationLevel: applicationLevel}
}

// levelRank orders the log levels; unknown levels rank as INFO.
func levelRank(level string) int {
	if r, ok := knownLevelRank(level); ok {
		return r
	}
	return 2
}

// knownLevelRank is the rank of a level Lambda knows, TRACE (0) to FATAL (5).
func knownLevelRank(level string) (int, bool) {
	switch level {
	case LevelTrace:
		return 0, true
	case LevelDebug:
		return 1, true
	case LevelInfo:
		return 2, true
	case LevelWarn:
		return 3, true
	case LevelError:
		return 4, true
	case LevelFatal:
		return 5, true
	}
	return 0, false
}

// keepsApplicationLine reports whether the function's output line is written in format f: with
// LogFormat JSON, a line that is a JSON object whose "level" is below ApplicationLevel is left
// out, as Lambda does. A JSON object whose level is missing or not one of Lambda's (compared
// without case; WARNING counts as WARN, CRITICAL as FATAL) is INFO, as Lambda assigns it; a line
// that is not a JSON object is kept. (Lambda also treats a record without a valid RFC 3339
// "timestamp" as INFO; Lambdock honours the level whatever the timestamp.)
func (f Format) keepsApplicationLine(line []byte) bool {
	if !f.JSON || f.ApplicationLevel == "" || len(line) == 0 || line[0] != '{' {
		return true
	}
	least, ok := knownLevelRank(f.ApplicationLevel)
	if !ok || least == 0 {
		return true // TRACE lets every line through
	}
	if least <= levelRank(LevelInfo) && !bytes.Contains(line, []byte(`"level"`)) {
		return true // INFO at the least, and INFO passes: no need to decode
	}
	var rec struct {
		Level any `json:"level"`
	}
	if json.Unmarshal(line, &rec) != nil {
		return true // not a JSON object: not an application log record
	}
	level, _ := rec.Level.(string)
	switch level = strings.ToUpper(level); level {
	case "WARNING":
		level = LevelWarn
	case "CRITICAL":
		level = LevelFatal
	}
	return levelRank(level) >= least
}

// Platform is one line the platform writes: its text form and its JSON system log record.
type Platform struct {
	Text   string     // the text line
	Type   string     // the JSON record's type (platform.start, …)
	Level  string     // its level (INFO unless said)
	Record func() any // the JSON record, made only when the format is JSON
	// TextOnly lines are left out of the JSON format (a record carries what they say).
	TextOnly bool
}

// render is the line p becomes in format f at time t, and whether it is written at all.
func (f Format) render(p Platform, t time.Time) (string, bool) {
	if f.JSON && p.TextOnly {
		return "", false
	}
	if !f.JSON || p.Type == "" {
		return p.Text, true
	}
	level := p.Level
	if level == "" {
		level = LevelInfo
	}
	if levelRank(level) < levelRank(f.SystemLevel) {
		return "", false
	}
	var rec any
	if p.Record != nil {
		rec = p.Record()
	}
	b, err := json.Marshal(systemRecord{Time: t.UTC().Format("2006-01-02T15:04:05.000Z"), Type: p.Type, Record: rec})
	if err != nil { // the records are plain structs: cannot happen
		return p.Text, true
	}
	return string(b), true
}

// systemRecord is the envelope of a JSON system log line.
type systemRecord struct {
	Time   string `json:"time"`
	Type   string `json:"type"`
	Record any    `json:"record"`
}

// StartPlatform is the START line of an invocation (platform.start).
func StartPlatform(requestID, version string) Platform {
	return Platform{Text: StartLine(requestID, version), Type: "platform.start",
		Record: func() any { return map[string]any{"requestId": requestID, "version": version} }}
}

// EndPlatform is the END line of an invocation; in JSON, platform.runtimeDone with the
// runtime's status (success, error, failure or timeout) and, on a failure, its error type.
func EndPlatform(requestID, status, errorType string) Platform {
	return Platform{Text: EndLine(requestID), Type: "platform.runtimeDone", Record: func() any {
		rec := map[string]any{"requestId": requestID, "status": status}
		if errorType != "" {
			rec["errorType"] = errorType
		}
		return rec
	}}
}

// TimeoutPlatform is the line of an invocation that timed out. In JSON it has no record of
// its own (platform.runtimeDone and platform.report say "timeout"), as in Lambda.
func TimeoutPlatform(at time.Time, requestID string, timeout time.Duration) Platform {
	return Platform{Text: TimeoutLine(at, requestID, timeout)}
}

// ReportPlatform is the REPORT line (platform.report) of r, with the invocation's status.
func ReportPlatform(r Report, status string) Platform {
	return Platform{Text: r.String(), Type: "platform.report", Record: func() any {
		m, bill := r.Measure, rules.Meter(r.Measure)
		metrics := map[string]any{
			"durationMs":       roundMs(m.Duration),
			"billedDurationMs": bill.BilledMs,
			"memorySizeMB":     m.MemoryMB,
			"maxMemoryUsedMB":  bill.MaxMemoryUsedMB,
		}
		if m.InitDuration > 0 {
			metrics["initDurationMs"] = roundMs(m.InitDuration)
		}
		return map[string]any{"requestId": r.RequestID, "metrics": metrics, "status": status}
	}}
}

// InitStartPlatform is the INIT_START line (platform.initStart) of an init of the runtime
// runtimeVersion (e.g. python:3.13) whose version ARN is arn; phase is init at start, invoke
// for a re-init inside an invocation; initType is the environment's initializationType
// (on-demand, or provisioned-concurrency; "" is on-demand).
func InitStartPlatform(initType, runtimeVersion, arn, phase string) Platform {
	initType = initTypeOrDefault(initType)
	return Platform{Text: fmt.Sprintf("INIT_START Runtime Version: %s\tRuntime Version ARN: %s", runtimeVersion, arn),
		Type: "platform.initStart",
		Record: func() any {
			return map[string]any{"initializationType": initType, "phase": phase,
				"runtimeVersion": runtimeVersion, "runtimeVersionArn": arn}
		}}
}

// InitReportPlatform is the INIT_REPORT line (platform.initReport) of an init that did not
// succeed: status is error, failure or timeout; errorType is the function error type, if any;
// initType as for InitStartPlatform.
func InitReportPlatform(initType string, d time.Duration, phase, status, errorType string) Platform {
	text := fmt.Sprintf("INIT_REPORT Init Duration: %s ms\tPhase: %s\tStatus: %s", millis(d), phase, status)
	rec := map[string]any{"initializationType": initTypeOrDefault(initType), "phase": phase, "status": status,
		"metrics": map[string]any{"durationMs": roundMs(d)}}
	if errorType != "" {
		text += "\tError Type: " + errorType
		rec["errorType"] = errorType
	}
	return Platform{Text: text, Type: "platform.initReport", Level: LevelWarn, Record: func() any { return rec }}
}

// initTypeOrDefault is initType, on-demand when empty.
func initTypeOrDefault(initType string) string {
	if initType == "" {
		return agentproto.InitOnDemand
	}
	return initType
}

// ErrorPlatform is the line of an invocation whose runtime failed (it exited, or could not be
// started): "RequestId: <id> Error: <message>" then the error type, as Lambda writes them. In
// JSON, platform.runtimeDone says it (EndPlatform's errorType).
func ErrorPlatform(message, errorType string) Platform {
	return Platform{Text: message + "\n" + errorType, TextOnly: true}
}

// TruncatedMessage is the marker line written once an invocation's output passed MaxOutput.
const TruncatedMessage = "[lambdock] log output truncated: this invocation wrote more than 256 KB"

// truncatedPlatform is the marker line, in both formats.
func truncatedPlatform(requestID string) Platform {
	return Platform{Text: TruncatedMessage, Type: "platform.logsDropped", Level: LevelWarn,
		Record: func() any {
			return map[string]any{"requestId": requestID, "reason": "Function output over 256 KB per invocation",
				"message": TruncatedMessage}
		}}
}

// TextPlatform is a platform line with only a text form (EXTENSION): written as it is in both
// formats.
func TextPlatform(line string) Platform { return Platform{Text: line} }

func roundMs(d time.Duration) float64 {
	return float64(d.Round(10*time.Microsecond)) / float64(time.Millisecond)
}
