package lambdaclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// schedulesPath is the path of Lambdock's schedules API.
const schedulesPath = "/lambdock/v1/schedules"

// CreateSchedule creates a schedule that invokes a function of the caller's account (201).
func (c *Client) CreateSchedule(ctx context.Context, in lambdaapi.CreateScheduleInput) (*lambdaapi.Schedule, error) {
	var out lambdaapi.Schedule
	if err := c.call(ctx, request{method: http.MethodPost, path: schedulesPath, success: http.StatusCreated}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSchedule returns one schedule.
func (c *Client) GetSchedule(ctx context.Context, name string) (*lambdaapi.Schedule, error) {
	var out lambdaapi.Schedule
	if err := c.call(ctx, request{method: http.MethodGet, path: schedulesPath + "/" + url.PathEscape(name)}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateSchedule changes the given fields of a schedule (enable, disable, a new expression).
func (c *Client) UpdateSchedule(ctx context.Context, name string, in lambdaapi.UpdateScheduleInput) (*lambdaapi.Schedule, error) {
	var out lambdaapi.Schedule
	if err := c.call(ctx, request{method: http.MethodPut, path: schedulesPath + "/" + url.PathEscape(name)}, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteSchedule deletes a schedule (204).
func (c *Client) DeleteSchedule(ctx context.Context, name string) error {
	r := request{method: http.MethodDelete, path: schedulesPath + "/" + url.PathEscape(name), success: http.StatusNoContent}
	return c.call(ctx, r, nil, nil)
}

// ListSchedules lists one page of the caller's account's schedules; maxItems 0 leaves the page
// size to the gateway.
func (c *Client) ListSchedules(ctx context.Context, marker string, maxItems int) (*lambdaapi.ListSchedulesOutput, error) {
	q := pageQuery(marker, maxItems)
	var out lambdaapi.ListSchedulesOutput
	if err := c.call(ctx, request{method: http.MethodGet, path: schedulesPath, query: q}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
