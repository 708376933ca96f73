package gateway

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/logstore"
)

// logsPath is a function's logs (Lambdock's own).
const logsPath = "/lambdock/v1/functions/:name/logs"

// Bounds of a logs query.
const (
	defaultLogsSince = time.Hour
	maxLogsRequestID = 256
	maxLogsFilter    = 1024
	maxLogsDays      = 36600 // a relative since or until of at most 100 years
)

// logsQuery is a logs request, checked.
type logsQuery struct {
	logstore.QueryOptions
	follow bool
	// resume is where a follow starts: Last-Event-ID, else next_token ("": since, else now).
	resume string
}

// getFunctionLogs is GET /lambdock/v1/functions/{name}/logs?since=&until=&request_id=&filter=
// &limit=&next_token=&follow=: the lines of a function of the caller's account, oldest first, as
// a JSON page (limit 1–10000, default 1000, and at most about logstore.MaxPageBytes of messages;
// since defaults to an hour before until, else before now, and with next_token to none: the
// token fixes the start), or with follow=true
// (or Accept: text/event-stream) as Server-Sent Events of the lines stored from since (default:
// now) on, until the client goes away (followLogs). An unknown function, or another account's,
// is 404. A qualifier in {name} is accepted and ignored: every version's lines are the function's.
func (g *Gateway) getFunctionLogs(c *gin.Context) error {
	q, err := parseLogsQuery(c, time.Now())
	if err != nil {
		return err
	}
	fn, err := g.lookupParam(c)
	if err != nil {
		return err
	}
	if q.follow {
		return g.followLogs(c, fn.AccountID, fn.Name, q)
	}
	page, err := logstore.Query(c.Request.Context(), g.js, fn.AccountID, fn.Name, q.QueryOptions)
	if errors.Is(err, logstore.ErrBadToken) {
		return badLogsToken("next_token")
	} else if errors.Is(err, logstore.ErrStalled) {
		e := lambdaerr.New(http.StatusServiceUnavailable, lambdaerr.CodeService,
			"The logs stream did not deliver the lines in time; try again.")
		e.Type = "Service"
		return e
	} else if err != nil {
		return err
	}
	out := lambdaapi.GetFunctionLogsOutput{Events: make([]lambdaapi.FunctionLogEvent, 0, len(page.Events)),
		NextToken: page.NextToken, DroppedLines: page.Dropped}
	for _, e := range page.Events {
		out.Events = append(out.Events, logEvent(e))
	}
	return writeJSON(c, http.StatusOK, out)
}

// logEvent is the wire form of a stored line.
func logEvent(e logstore.Event) lambdaapi.FunctionLogEvent {
	at := e.At().UTC()
	return lambdaapi.FunctionLogEvent{Timestamp: at.UnixMilli(), Time: at.Format(time.RFC3339Nano), Message: e.Message,
		RequestID: e.RequestID, Type: e.Type, Version: e.Version, LogStreamName: e.Stream, EventID: e.ID()}
}

// parseLogsQuery reads and checks a logs request's parameters at now.
func parseLogsQuery(c *gin.Context, now time.Time) (logsQuery, error) {
	q := logsQuery{QueryOptions: logstore.QueryOptions{Limit: lambdaapi.DefaultLogsLimit}}
	var err error
	if s, ok := c.GetQuery("follow"); ok {
		if q.follow, err = strconv.ParseBool(s); err != nil {
			return q, constraint("follow", "be true or false")
		}
	} else {
		q.follow = acceptsEventStream(c.Request)
	}
	// A continuation (next_token, or Last-Event-ID for a follow) starts at its token: a default
	// since would drop the lines between it and an hour ago.
	continued := c.Query("next_token") != "" || q.follow && c.GetHeader(lambdaapi.HeaderLastEventID) != ""
	sinceGiven := false
	if s := c.Query("since"); s != "" {
		if q.Since, err = parseLogsTime("since", s, now); err != nil {
			return q, err
		}
		sinceGiven = true
	} else if !q.follow && !continued {
		q.Since = now.Add(-defaultLogsSince)
	}
	if s := c.Query("until"); s != "" {
		if q.follow {
			return q, lambdaerr.InvalidParameter("until cannot be used with follow: a follow has no end.")
		}
		if q.Until, err = parseLogsTime("until", s, now); err != nil {
			return q, err
		}
		if !sinceGiven && !continued {
			q.Since = q.Until.Add(-defaultLogsSince) // the hour before until, not before now
		}
		if sinceGiven && q.Until.Before(q.Since) {
			return q, lambdaerr.InvalidParameter("since (%s) must not be after until (%s).", q.Since.Format(time.RFC3339Nano),
				q.Until.Format(time.RFC3339Nano))
		}
	}
	if s, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, constraint("limit", "be an integer")
		}
		if err := validRange("limit", n, 1, lambdaapi.MaxLogsLimit); err != nil {
			return q, err
		}
		q.Limit = n
	}
	q.RequestID, q.Filter = c.Query("request_id"), c.Query("filter")
	if len(q.RequestID) > maxLogsRequestID {
		return q, constraint("request_id", "have length less than or equal to %d", maxLogsRequestID)
	}
	if len(q.Filter) > maxLogsFilter {
		return q, constraint("filter", "have length less than or equal to %d", maxLogsFilter)
	}
	if q.After = c.Query("next_token"); q.After != "" {
		if _, err := logstore.ParsePosition(q.After); err != nil {
			return q, badLogsToken("next_token")
		}
	}
	q.resume = q.After
	if id := c.GetHeader(lambdaapi.HeaderLastEventID); id != "" && q.follow {
		if _, err := logstore.ParsePosition(id); err != nil {
			return q, badLogsToken(lambdaapi.HeaderLastEventID)
		}
		q.resume = id
	}
	return q, nil
}

// parseLogsTime reads since or until: RFC 3339 (or a date, its UTC midnight), or a duration
// before now (10m, 2h, 7d).
func parseLogsTime(name, s string, now time.Time) (time.Time, error) {
	if t, err := parseReportTime(name, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if n := len(s); err != nil && n > 1 && s[n-1] == 'd' {
		var days int
		if days, err = strconv.Atoi(s[:n-1]); err == nil && days <= maxLogsDays {
			d = time.Duration(days) * 24 * time.Hour
		} else {
			err = errors.New("too many days")
		}
	}
	if err != nil || d < 0 || strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		return time.Time{}, constraint(name, "be a time in RFC 3339 (2026-12-01T00:00:00Z) or a duration before now "+
			"(10m, 2h, 7d)")
	}
	return now.Add(-d), nil
}

// badLogsToken is the error of a position token that no page or event gave.
func badLogsToken(field string) error {
	return constraint(field, "be a NextToken or EventId of this function's logs")
}

// acceptsEventStream reports whether r asks for text/event-stream.
func acceptsEventStream(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if t, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && t == lambdaapi.ContentTypeEventStream {
			return true
		}
	}
	return false
}
