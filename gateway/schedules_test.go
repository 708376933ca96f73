package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// A schedule goes through its life over HTTP: create (defaults, EventBridge ARN, next tick),
// conflict on the same name, get, list in pages, update (disable, own payload, payload removed),
// delete; each change is announced on msg.SubjectScheduleChanged; deleting the function deletes
// its schedules.
func TestSchedulesLifecycle(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	createFunction(t, env, "tick")
	changes := make(chan *nats.Msg, 16)
	sub, err := env.NATS.ChanSubscribe(msg.SubjectScheduleChanged, changes)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := env.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	wantChange := func(name string) {
		t.Helper()
		select {
		case m := <-changes:
			ev, err := msg.Decode[msg.ScheduleChanged](m.Data)
			if err != nil || ev.Name != name || ev.AccountID != tenant.AdminAccountID {
				t.Fatalf("change event %+v, %v; want %s", ev, err, name)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no change event for %s", name)
		}
	}

	sc, err := env.Client.CreateSchedule(ctx, lambdaapi.CreateScheduleInput{Name: "every-5",
		FunctionName: "tick", ScheduleExpression: "rate(5 minutes)"})
	if err != nil {
		t.Fatal(err)
	}
	wantChange("every-5")
	if sc.ScheduleArn != "arn:aws:events:us-east-1:"+tenant.AdminAccountID+":rule/every-5" ||
		sc.FunctionArn != "arn:aws:lambda:us-east-1:"+tenant.AdminAccountID+":function:tick" ||
		sc.CatchUp != "one" || !sc.Enabled || sc.Payload != nil || sc.LastTick != "" || sc.NextTick == "" {
		t.Fatalf("created %+v", sc)
	}
	if next, err := time.Parse(time.RFC3339, sc.NextTick); err != nil || time.Until(next) > 5*time.Minute+time.Second ||
		time.Until(next) < 4*time.Minute {
		t.Errorf("NextTick %s is not 5 minutes from now (%v)", sc.NextTick, err)
	}
	_, err = env.Client.CreateSchedule(ctx, lambdaapi.CreateScheduleInput{Name: "every-5",
		FunctionName: "tick", ScheduleExpression: "rate(1 minute)"})
	if e := asAPIError(err); e == nil || e.Status != http.StatusConflict || e.Code != "ResourceConflictException" {
		t.Fatalf("same name again: %v", err)
	}
	off := false
	for _, in := range []lambdaapi.CreateScheduleInput{
		{Name: "a-cron", FunctionName: "tick", ScheduleExpression: "cron(0 18 ? * MON-FRI *)", CatchUp: "none"},
		{Name: "b-crontab", FunctionName: "arn:aws:lambda:us-east-1:" + tenant.AdminAccountID + ":function:tick",
			ScheduleExpression: "*/5 * * * *", Payload: json.RawMessage(`{ "job" : "report" }`), Enabled: &off},
	} {
		if _, err := env.Client.CreateSchedule(ctx, in); err != nil {
			t.Fatalf("create %s: %v", in.Name, err)
		}
		wantChange(in.Name)
	}
	got, err := env.Client.GetSchedule(ctx, "b-crontab")
	if err != nil || string(got.Payload) != `{"job":"report"}` || got.Enabled || got.NextTick != "" ||
		got.FunctionName != "tick" {
		t.Fatalf("get: %+v, %v", got, err)
	}

	page, err := env.Client.ListSchedules(ctx, "", 2)
	if err != nil || len(page.Schedules) != 2 || page.Schedules[0].Name != "a-cron" || page.NextMarker != "b-crontab" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	page, err = env.Client.ListSchedules(ctx, page.NextMarker, 2)
	if err != nil || len(page.Schedules) != 1 || page.Schedules[0].Name != "every-5" || page.NextMarker != "" {
		t.Fatalf("second page: %+v, %v", page, err)
	}

	on, expr := true, "rate(1 minute)"
	upd, err := env.Client.UpdateSchedule(ctx, "b-crontab", lambdaapi.UpdateScheduleInput{Enabled: &on,
		ScheduleExpression: &expr, Payload: json.RawMessage(`null`)})
	if err != nil || !upd.Enabled || upd.Payload != nil || upd.ScheduleExpression != expr || upd.NextTick == "" {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	wantChange("b-crontab")
	if _, err := env.Client.UpdateSchedule(ctx, "nope", lambdaapi.UpdateScheduleInput{Enabled: &on}); asAPIError(err) == nil ||
		asAPIError(err).Status != http.StatusNotFound {
		t.Fatalf("update of a missing schedule: %v", err)
	}

	if err := env.Client.DeleteSchedule(ctx, "a-cron"); err != nil {
		t.Fatal(err)
	}
	wantChange("a-cron")
	if _, err := env.Client.GetSchedule(ctx, "a-cron"); asAPIError(err) == nil || asAPIError(err).Status != http.StatusNotFound ||
		asAPIError(err).Code != "ResourceNotFoundException" {
		t.Fatalf("get after delete: %v", err)
	}
	if err := env.Client.DeleteFunction(ctx, "tick"); err != nil {
		t.Fatal(err)
	}
	if all, err := env.Client.ListSchedules(ctx, "", 0); err != nil || len(all.Schedules) != 0 {
		t.Fatalf("schedules left after the function was deleted: %+v, %v", all, err)
	}
}

// Invalid requests get 400 InvalidParameterValueException with a message that says what is
// wrong; a function of another account, or none, is 404.
func TestSchedulesValidation(t *testing.T) {
	env := gatewaytest.New(t)
	createFunction(t, env, "tick")
	const other = "222222222222"
	if err := env.DB.CreateAccount(context.Background(), &tenant.Account{ID: other, Name: "other", Concurrency: 10}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		body   string
		status int
		code   string
		says   string
	}{
		{"bad name", `{"Name":"a b","FunctionName":"tick","ScheduleExpression":"rate(1 minute)"}`, 400,
			"InvalidParameterValueException", "'Name' value failed to satisfy constraint"},
		{"no expression", `{"Name":"x","FunctionName":"tick"}`, 400, "InvalidParameterValueException",
			"'ScheduleExpression' value failed to satisfy constraint: Member must not be null"},
		{"singular with 5", `{"Name":"x","FunctionName":"tick","ScheduleExpression":"rate(5 minute)"}`, 400,
			"InvalidParameterValueException", "a value above 1 takes the plural unit"},
		{"plural with 1", `{"Name":"x","FunctionName":"tick","ScheduleExpression":"rate(1 hours)"}`, 400,
			"InvalidParameterValueException", "a value of 1 takes the singular unit"},
		{"both days", `{"Name":"x","FunctionName":"tick","ScheduleExpression":"cron(0 10 * * * *)"}`, 400,
			"InvalidParameterValueException", "one of Day-of-month and Day-of-week must be '?'"},
		{"five-field cron()", `{"Name":"x","FunctionName":"tick","ScheduleExpression":"cron(0 10 * * ?)"}`, 400,
			"InvalidParameterValueException", "six fields"},
		{"bad catch-up", `{"Name":"x","FunctionName":"tick","ScheduleExpression":"rate(1 minute)","CatchUp":"all"}`,
			400, "InvalidParameterValueException", "[one, none]"},
		{"bad payload", `{"Name":"x","FunctionName":"tick","ScheduleExpression":"rate(1 minute)","Payload":{"a":}}`,
			400, "InvalidRequestContentException", "Could not parse request body"},
		{"qualifier", `{"Name":"x","FunctionName":"tick:prod","ScheduleExpression":"rate(1 minute)"}`, 400,
			"InvalidParameterValueException", "qualifier"},
		{"no function", `{"Name":"x","FunctionName":"nope","ScheduleExpression":"rate(1 minute)"}`, 404,
			"ResourceNotFoundException", "function:nope"},
		{"another account's function", `{"Name":"x","FunctionName":"arn:aws:lambda:us-east-1:` + other +
			`:function:tick","ScheduleExpression":"rate(1 minute)"}`, 404, "ResourceNotFoundException", "function:tick"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, env, call{method: http.MethodPost, path: "/lambdock/v1/schedules", body: []byte(tc.body)})
			wantError(t, resp, body, tc.status, tc.code, tc.says)
		})
	}
	// The function exists only in the admin account: the other account cannot schedule it.
	resp, body := do(t, env, call{method: http.MethodPost, path: "/lambdock/v1/schedules",
		header: map[string]string{gatewaytest.HeaderTestAccount: other},
		body:   []byte(`{"Name":"x","FunctionName":"tick","ScheduleExpression":"rate(1 minute)"}`)})
	wantError(t, resp, body, 404, "ResourceNotFoundException", "function:tick")
}

// Schedules belong to their account: the same name in two accounts, neither sees the other's.
func TestSchedulesPerAccount(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	for _, id := range []string{idA, idB} {
		if err := env.DB.CreateAccount(ctx, &tenant.Account{ID: id, Name: "acct-" + id, Concurrency: 10}); err != nil {
			t.Fatal(err)
		}
		var in lambdaapi.CreateFunctionInput
		if err := json.Unmarshal(createBody(t, "f", nil), &in); err != nil {
			t.Fatal(err)
		}
		if _, err := env.ClientFor(id).CreateFunction(ctx, &in); err != nil {
			t.Fatal(err)
		}
		if _, err := env.ClientFor(id).CreateSchedule(ctx, lambdaapi.CreateScheduleInput{Name: "same",
			FunctionName: "f", ScheduleExpression: "rate(1 day)"}); err != nil {
			t.Fatalf("account %s: %v", id, err)
		}
	}
	if err := env.ClientFor(idA).DeleteSchedule(ctx, "same"); err != nil {
		t.Fatal(err)
	}
	got, err := env.ClientFor(idB).GetSchedule(ctx, "same")
	if err != nil || got.ScheduleArn != "arn:aws:events:us-east-1:"+idB+":rule/same" {
		t.Fatalf("B's schedule after A deleted its own: %+v, %v", got, err)
	}
	if list, err := env.ClientFor(idA).ListSchedules(ctx, "", 0); err != nil || len(list.Schedules) != 0 {
		t.Fatalf("A's list: %+v, %v", list, err)
	}
}

// With authentication on, an invoke key may not manage schedules (AccessDenied with the
// lambdock: action and the rule's ARN); an owner key may, in its own account.
func TestSchedulesAccess(t *testing.T) {
	env := gatewaytest.New(t, gatewaytest.Auth(nil))
	ctx := context.Background()
	const acct = "333333333333"
	owner := env.AddKey(t, acct, tenant.RoleOwner)
	var in lambdaapi.CreateFunctionInput
	if err := json.Unmarshal(createBody(t, "f", nil), &in); err != nil {
		t.Fatal(err)
	}
	if _, err := env.SignedClient(owner).CreateFunction(ctx, &in); err != nil {
		t.Fatal(err)
	}
	sc, err := env.SignedClient(owner).CreateSchedule(ctx, lambdaapi.CreateScheduleInput{Name: "s", FunctionName: "f",
		ScheduleExpression: "rate(1 hour)"})
	if err != nil || sc.ScheduleArn != "arn:aws:events:us-east-1:"+acct+":rule/s" {
		t.Fatalf("owner create: %+v, %v", sc, err)
	}
	inv := env.AddKey(t, acct, tenant.RoleInvoke)
	_, err = env.SignedClient(inv).GetSchedule(ctx, "s")
	if e := asAPIError(err); e == nil || e.Status != http.StatusForbidden ||
		e.Message != "User: arn:aws:iam::"+acct+":user/"+inv.ID+" is not authorized to perform: lambdock:GetSchedule on resource: arn:aws:events:us-east-1:"+acct+":rule/s" {
		t.Fatalf("invoke key: %v", err)
	}
	if _, err := env.Client.GetSchedule(ctx, "s"); asAPIError(err) == nil || asAPIError(err).Status != http.StatusNotFound {
		t.Fatalf("the admin account does not see another account's schedule: %v", err)
	}
}
