package lambdaapi

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxEventInvokeConfigListItems bounds ListFunctionEventInvokeConfigs' MaxItems (the bounds of
// the settings themselves are in internal/lambda/rules).
const MaxEventInvokeConfigListItems = 50

// EventInvokeConfigInput is the body of PutFunctionEventInvokeConfig (which replaces the
// configuration: absent members are removed) and UpdateFunctionEventInvokeConfig (which merges:
// absent members keep their values; a DestinationConfig replaces the stored one as a whole).
type EventInvokeConfigInput struct {
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        *DestinationConfig `json:"DestinationConfig,omitempty"`
}

// DestinationConfig is where Lambda sends the record of an asynchronous invocation.
type DestinationConfig struct {
	OnSuccess *Destination `json:"OnSuccess,omitempty"`
	OnFailure *Destination `json:"OnFailure,omitempty"`
}

// Destination is one destination: an ARN, or none. Responses render an unset destination as {}.
type Destination struct {
	Destination string `json:"Destination,omitempty"`
}

// FunctionEventInvokeConfig is an event invoke configuration as Put, Get, Update and List return
// it. FunctionArn is qualified (…:function:name:$LATEST); DestinationConfig always has both
// members, {} when unset, as Lambda renders them.
type FunctionEventInvokeConfig struct {
	LastModified             EpochTime          `json:"LastModified"`
	FunctionArn              string             `json:"FunctionArn"`
	MaximumRetryAttempts     *int               `json:"MaximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int               `json:"MaximumEventAgeInSeconds,omitempty"`
	DestinationConfig        *DestinationConfig `json:"DestinationConfig,omitempty"`
}

// ListFunctionEventInvokeConfigsOutput is the body of ListFunctionEventInvokeConfigs.
type ListFunctionEventInvokeConfigsOutput struct {
	FunctionEventInvokeConfigs []*FunctionEventInvokeConfig `json:"FunctionEventInvokeConfigs"`
	NextMarker                 string                       `json:"NextMarker,omitempty"`
}

// EpochTime is a time Lambda renders as epoch seconds with milliseconds, a JSON number such as
// 1573686021.479 (the event invoke config's LastModified).
type EpochTime struct{ time.Time }

// MarshalJSON renders t as seconds since the epoch with up to three decimals (at least one).
func (t EpochTime) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	frac := strings.TrimRight(fmt.Sprintf("%03d", ms%1000), "0")
	if frac == "" {
		frac = "0"
	}
	return []byte(fmt.Sprintf("%s%d.%s", sign, ms/1000, frac)), nil
}

// UnmarshalJSON reads epoch seconds (an integer or a decimal number) to the millisecond.
func (t *EpochTime) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("lambdaapi: epoch seconds %s: %w", b, err)
	}
	t.Time = time.UnixMilli(int64(math.Round(f * 1000))).UTC()
	return nil
}
