package lambdaapi

import "encoding/json"

// Shapes of Lambdock's schedules API (an extension, under /lambdock/v1/schedules): EventBridge
// style rules that invoke a function asynchronously. Times are RFC 3339 in UTC.

// Schedule is a schedule as the API shows it.
type Schedule struct {
	Name string `json:"Name"`
	// ScheduleArn is arn:aws:events:<region>:<account>:rule/<name>, the event's resource.
	ScheduleArn  string `json:"ScheduleArn"`
	FunctionName string `json:"FunctionName"`
	FunctionArn  string `json:"FunctionArn"`
	// ScheduleExpression is cron(...) (EventBridge's six fields), rate(value unit) or a
	// five-field crontab line; all UTC.
	ScheduleExpression string `json:"ScheduleExpression"`
	// Payload is the event the function gets; absent: EventBridge's scheduled event.
	Payload json.RawMessage `json:"Payload,omitempty"`
	// CatchUp is what happens to ticks missed while no scheduler ran: "one" (fire the latest
	// once) or "none" (skip them).
	CatchUp string `json:"CatchUp"`
	Enabled bool   `json:"Enabled"`
	// LastTick is the latest tick fired; absent before the first.
	LastTick string `json:"LastTick,omitempty"`
	// NextTick is the next tick due; absent when disabled or when the expression has none left.
	NextTick     string `json:"NextTick,omitempty"`
	Created      string `json:"Created"`
	LastModified string `json:"LastModified"`
}

// CreateScheduleInput is the body of POST /lambdock/v1/schedules. FunctionName is a name or an
// ARN of the caller's account; CatchUp defaults to "one", Enabled to true.
type CreateScheduleInput struct {
	Name               string          `json:"Name"`
	FunctionName       string          `json:"FunctionName"`
	ScheduleExpression string          `json:"ScheduleExpression"`
	Payload            json.RawMessage `json:"Payload,omitempty"`
	CatchUp            string          `json:"CatchUp,omitempty"`
	Enabled            *bool           `json:"Enabled,omitempty"`
}

// UpdateScheduleInput is the body of PUT /lambdock/v1/schedules/{name}: the fields to change.
// A Payload of null removes the schedule's own payload. A new ScheduleExpression starts its
// rate anew from now.
type UpdateScheduleInput struct {
	FunctionName       *string         `json:"FunctionName,omitempty"`
	ScheduleExpression *string         `json:"ScheduleExpression,omitempty"`
	Payload            json.RawMessage `json:"Payload,omitempty"`
	CatchUp            *string         `json:"CatchUp,omitempty"`
	Enabled            *bool           `json:"Enabled,omitempty"`
}

// ListSchedulesOutput is the answer of GET /lambdock/v1/schedules?Marker=&MaxItems=.
type ListSchedulesOutput struct {
	Schedules  []Schedule `json:"Schedules"`
	NextMarker string     `json:"NextMarker,omitempty"`
}
