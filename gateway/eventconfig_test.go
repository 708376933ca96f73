package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/target"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// eventConfigURL is the event invoke config resource of the function name.
func eventConfigURL(name string) string {
	return "/2019-09-25/functions/" + name + "/event-invoke-config"
}

// TestEventInvokeConfigValidation sends Put and Update bodies Lambda refuses (and a few it
// accepts) and checks status, code and message.
func TestEventInvokeConfigValidation(t *testing.T) {
	env := gatewaytest.New(t)
	createFunction(t, env, "ev")
	createFunction(t, env, "next")
	long := "arn:aws:nats:us-east-1:000000000000:subject/" + strings.Repeat("a", 320)
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		code   string
		msg    string
	}{
		{"no setting", http.MethodPut, eventConfigURL("ev"), `{}`, 400, "InvalidParameterValueException",
			"You must specify at least one of error handling or destination setting."},
		{"no setting on update", http.MethodPost, eventConfigURL("ev"), `{}`, 400, "InvalidParameterValueException",
			"You must specify at least one of error handling or destination setting."},
		{"retries above 2", http.MethodPut, eventConfigURL("ev"), `{"MaximumRetryAttempts":5}`, 400,
			"ValidationException", "1 validation error detected: Value '5' at 'maximumRetryAttempts' " +
				"failed to satisfy constraint: Member must have value less than or equal to 2"},
		{"negative retries", http.MethodPut, eventConfigURL("ev"), `{"MaximumRetryAttempts":-1}`, 400,
			"ValidationException", "1 validation error detected: Value '-1' at 'maximumRetryAttempts' " +
				"failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"age below 60", http.MethodPost, eventConfigURL("ev"), `{"MaximumEventAgeInSeconds":59}`, 400,
			"ValidationException", "1 validation error detected: Value '59' at 'maximumEventAgeInSeconds' " +
				"failed to satisfy constraint: Member must have value greater than or equal to 60"},
		{"age above 6 hours", http.MethodPut, eventConfigURL("ev"), `{"MaximumEventAgeInSeconds":21601}`, 400,
			"ValidationException", "Member must have value less than or equal to 21600"},
		{"two violations", http.MethodPut, eventConfigURL("ev"), `{"MaximumRetryAttempts":3,"MaximumEventAgeInSeconds":1}`,
			400, "ValidationException", "2 validation errors detected: Value '3' at 'maximumRetryAttempts' " +
				"failed to satisfy constraint: Member must have value less than or equal to 2; Value '1' at " +
				"'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 60"},
		{"destination too long", http.MethodPut, eventConfigURL("ev"),
			`{"DestinationConfig":{"OnSuccess":{"Destination":"` + long + `"}}}`, 400, "ValidationException",
			"at 'destinationConfig.onSuccess.destination' failed to satisfy constraint: Member must have length less than or equal to 350"},
		{"not an ARN", http.MethodPut, eventConfigURL("ev"), `{"DestinationConfig":{"OnFailure":{"Destination":"orders"}}}`,
			400, "InvalidParameterValueException",
			"The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination=orders)) is invalid."},
		{"SQS queue", http.MethodPut, eventConfigURL("ev"),
			`{"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:000000000000:q"}}}`, 400,
			"InvalidParameterValueException", `names service "sqs"`},
		{"another region", http.MethodPut, eventConfigURL("ev"),
			`{"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:nats:eu-west-1:000000000000:subject/a.b"}}}`, 400,
			"InvalidParameterValueException", "this installation's region us-east-1"},
		{"another account", http.MethodPost, eventConfigURL("ev"),
			`{"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:lambda:us-east-1:111111111111:function:x"}}}`, 400,
			"InvalidParameterValueException", "destinations must be in your account 000000000000"},
		{"missing function", http.MethodPut, eventConfigURL("ev"),
			`{"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:lambda:us-east-1:000000000000:function:nope"}}}`, 400,
			"InvalidParameterValueException", "The destination ARN arn:aws:lambda:us-east-1:000000000000:function:nope is invalid."},
		{"missing alias", http.MethodPut, eventConfigURL("ev"),
			`{"DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:lambda:us-east-1:000000000000:function:next:live"}}}`, 400,
			"InvalidParameterValueException", "The destination ARN arn:aws:lambda:us-east-1:000000000000:function:next:live is invalid."},
		{"itself", http.MethodPut, eventConfigURL("ev"),
			`{"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:lambda:us-east-1:000000000000:function:ev"}}}`, 400,
			"InvalidParameterValueException", "You can't specify the function as a destination for itself."},
		{"not JSON", http.MethodPut, eventConfigURL("ev"), `{"MaximumRetryAttempts":`, 400,
			"InvalidRequestContentException", "Could not parse request body into json"},
		{"wrong type", http.MethodPut, eventConfigURL("ev"), `{"MaximumRetryAttempts":"1"}`, 400,
			"InvalidRequestContentException", "Could not parse request body into json"},
		{"unknown function", http.MethodPut, eventConfigURL("nope"), `{"MaximumRetryAttempts":1}`, 404,
			"ResourceNotFoundException", "The function doesn't exist."},
		{"unknown version", http.MethodPut, eventConfigURL("ev") + "?Qualifier=1", `{"MaximumRetryAttempts":1}`, 404,
			"ResourceNotFoundException", "The function doesn't exist."},
		{"bad qualifier", http.MethodPut, eventConfigURL("ev") + "?Qualifier=a.b", `{"MaximumRetryAttempts":1}`, 400,
			"InvalidParameterValueException", "'Qualifier' value failed to satisfy constraint"},
		{"list MaxItems 0", http.MethodGet, eventConfigURL("ev") + "/list?MaxItems=0", "", 400,
			"ValidationException", "1 validation error detected: Value '0' at 'maxItems' failed to satisfy " +
				"constraint: Member must have value greater than or equal to 1"},
		{"list MaxItems 51", http.MethodGet, eventConfigURL("ev") + "/list?MaxItems=51", "", 400,
			"ValidationException", "Member must have value less than or equal to 50"},
		{"list unknown function", http.MethodGet, eventConfigURL("nope") + "/list", "", 404,
			"ResourceNotFoundException", "The function doesn't exist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			resp, b := do(t, env, call{method: tt.method, path: tt.path, body: body})
			wantError(t, resp, b, tt.status, tt.code, tt.msg)
		})
	}
	if _, err := env.Client.GetEventInvokeConfig(context.Background(), "ev", ""); asAPIError(err) == nil ||
		asAPIError(err).Status != 404 {
		t.Errorf("refused bodies stored a configuration: %v", err)
	}

	// Accepted destinations: a function (unqualified or $LATEST), a subject, a queue.
	for _, dest := range []string{"arn:aws:lambda:us-east-1:000000000000:function:next",
		"arn:aws:lambda:us-east-1:000000000000:function:next:$LATEST",
		"arn:aws:nats:us-east-1:000000000000:subject/orders.done", "arn:aws:nats:us-east-1:000000000000:queue/jobs"} {
		in := &lambdaapi.EventInvokeConfigInput{DestinationConfig: &lambdaapi.DestinationConfig{
			OnSuccess: &lambdaapi.Destination{Destination: dest}}}
		if out, err := env.Client.PutEventInvokeConfig(context.Background(), "ev", "", in); err != nil ||
			out.DestinationConfig.OnSuccess.Destination != dest {
			t.Errorf("destination %s: %+v, %v", dest, out, err)
		}
	}
	// A queue destination exists once the configuration names it: the engine delivers to it.
	js, err := jetstream.New(env.NATS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Stream(context.Background(), target.QueueStream("000000000000", "jobs")); err != nil {
		t.Errorf("the queue destination's stream: %v", err)
	}
}

// TestEventInvokeConfigLifecycle walks a configuration through Put (replace), Get, Update
// (merge), List, Delete and the deletion of its function, checking the wire form and the change
// events.
func TestEventInvokeConfigLifecycle(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	createFunction(t, env, "ev")
	createFunction(t, env, "next")
	const arn = "arn:aws:lambda:us-east-1:000000000000:function:ev"
	const noConfig = "The function " + arn + ":$LATEST doesn't have an EventInvokeConfig"
	changes, err := env.NATS.SubscribeSync(msg.SubjectFunctionChanged)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = changes.Unsubscribe() })
	if err := env.NATS.Flush(); err != nil {
		t.Fatal(err)
	}
	changed := func(step string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			m, err := changes.NextMsg(time.Until(deadline))
			if err != nil {
				t.Fatalf("%s: no change event: %v", step, err)
			}
			if ev, err := msg.Decode[msg.FunctionChanged](m.Data); err == nil && ev.AccountID == tenant.AdminAccountID &&
				ev.Name == "ev" {
				return
			}
		}
	}

	for _, c := range []call{{method: http.MethodGet, path: eventConfigURL("ev")},
		{method: http.MethodDelete, path: eventConfigURL("ev")},
		{method: http.MethodPost, path: eventConfigURL("ev"), body: []byte(`{"MaximumRetryAttempts":1}`)},
		{method: http.MethodGet, path: eventConfigURL("nope")},
		{method: http.MethodGet, path: eventConfigURL("ev") + "?Qualifier=$LATEST"}} {
		resp, b := do(t, env, c)
		wantError(t, resp, b, 404, "ResourceNotFoundException", strings.Replace(noConfig, ":ev:", ":"+strings.Split(c.path, "/")[3]+":", 1))
	}
	resp, b := do(t, env, call{method: http.MethodGet, path: eventConfigURL("ev") + "?Qualifier=prod"})
	wantError(t, resp, b, 404, "ResourceNotFoundException", "The function "+arn+":prod doesn't have an EventInvokeConfig")

	// Put: the wire form, byte for byte where it is fixed.
	resp, b = do(t, env, call{method: http.MethodPut, path: eventConfigURL("ev"), body: []byte(
		`{"MaximumRetryAttempts":0,"MaximumEventAgeInSeconds":3600,` +
			`"DestinationConfig":{"OnFailure":{"Destination":"arn:aws:nats:us-east-1:000000000000:subject/orders.failed"}}}`)})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("put: %d %s", resp.StatusCode, b)
	}
	wire := regexp.MustCompile(`^\{"LastModified":(\d{10}\.\d{1,3}),"FunctionArn":"` + regexp.QuoteMeta(arn+":$LATEST") +
		`","MaximumRetryAttempts":0,"MaximumEventAgeInSeconds":3600,"DestinationConfig":\{"OnSuccess":\{\},` +
		`"OnFailure":\{"Destination":"arn:aws:nats:us-east-1:000000000000:subject/orders\.failed"\}\}\}$`)
	m := wire.FindSubmatch(b)
	if m == nil {
		t.Fatalf("put answered %s", b)
	}
	var secs float64
	if err := json.Unmarshal(m[1], &secs); err != nil || time.Since(time.UnixMilli(int64(secs*1000))).Abs() > time.Minute {
		t.Errorf("LastModified %s is not now", m[1])
	}
	changed("put")

	// Put again replaces: the retries and the destination are gone.
	out, err := env.Client.PutEventInvokeConfig(ctx, arn, "$LATEST", &lambdaapi.EventInvokeConfigInput{
		MaximumEventAgeInSeconds: intp(120)})
	if err != nil || out.MaximumRetryAttempts != nil || *out.MaximumEventAgeInSeconds != 120 ||
		out.DestinationConfig.OnFailure.Destination != "" || out.FunctionArn != arn+":$LATEST" {
		t.Fatalf("second put: %+v, %v", out, err)
	}
	changed("second put")

	// Update merges: the age stays; a DestinationConfig replaces both destinations.
	success := "arn:aws:lambda:us-east-1:000000000000:function:next"
	out, err = env.Client.UpdateEventInvokeConfig(ctx, "ev", "", &lambdaapi.EventInvokeConfigInput{
		MaximumRetryAttempts: intp(2),
		DestinationConfig:    &lambdaapi.DestinationConfig{OnSuccess: &lambdaapi.Destination{Destination: success}}})
	if err != nil || *out.MaximumRetryAttempts != 2 || *out.MaximumEventAgeInSeconds != 120 ||
		out.DestinationConfig.OnSuccess.Destination != success || out.DestinationConfig.OnFailure.Destination != "" {
		t.Fatalf("update: %+v, %v", out, err)
	}
	changed("update")
	got, err := env.Client.GetEventInvokeConfig(ctx, "ev", "")
	if err != nil || *got.MaximumRetryAttempts != 2 || got.DestinationConfig.OnSuccess.Destination != success ||
		!got.LastModified.Equal(out.LastModified.Time) {
		t.Fatalf("get: %+v, %v (update said %+v)", got, err, out)
	}

	// List: one configuration ($LATEST), one page.
	list, err := env.Client.ListEventInvokeConfigs(ctx, "ev", "", 1)
	if err != nil || len(list.FunctionEventInvokeConfigs) != 1 || list.NextMarker != "" ||
		list.FunctionEventInvokeConfigs[0].FunctionArn != arn+":$LATEST" {
		t.Fatalf("list: %+v, %v", list, err)
	}
	list, err = env.Client.ListEventInvokeConfigs(ctx, "ev", "$LATEST", 0)
	if err != nil || len(list.FunctionEventInvokeConfigs) != 0 {
		t.Fatalf("page after the last: %+v, %v", list, err)
	}
	resp, b = do(t, env, call{method: http.MethodGet, path: eventConfigURL("ev") + "/list?Marker=%24LATEST"})
	if resp.StatusCode != 200 || string(b) != `{"FunctionEventInvokeConfigs":[]}` {
		t.Errorf("empty page: %d %s", resp.StatusCode, b)
	}

	// Delete: 204 with no body, then 404.
	resp, b = do(t, env, call{method: http.MethodDelete, path: eventConfigURL("ev")})
	if resp.StatusCode != 204 || len(b) != 0 {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	changed("delete")
	if err := env.Client.DeleteEventInvokeConfig(ctx, "ev", ""); asAPIError(err) == nil || asAPIError(err).Message != noConfig {
		t.Fatalf("second delete: %v", err)
	}

	// The configuration goes with its function.
	if _, err := env.Client.PutEventInvokeConfig(ctx, "ev", "", &lambdaapi.EventInvokeConfigInput{
		MaximumRetryAttempts: intp(1)}); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.DeleteFunction(ctx, "ev"); err != nil {
		t.Fatal(err)
	}
	createFunction(t, env, "ev")
	if _, err := env.Client.GetEventInvokeConfig(ctx, "ev", ""); asAPIError(err) == nil || asAPIError(err).Status != 404 {
		t.Fatalf("the recreated function has a configuration: %v", err)
	}
}

// TestEventInvokeConfigAccounts checks that another account can neither see nor set a
// function's configuration, nor name another account's ARN as a destination.
func TestEventInvokeConfigAccounts(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	a, b := twoAccounts(t, env)
	createFunctionWith(t, a, "ev")
	arnA := "arn:aws:lambda:us-east-1:" + idA + ":function:ev"
	put := &lambdaapi.EventInvokeConfigInput{MaximumRetryAttempts: intp(0), DestinationConfig: &lambdaapi.DestinationConfig{
		OnFailure: &lambdaapi.Destination{Destination: "arn:aws:nats:us-east-1:" + idA + ":queue/failed"}}}
	out, err := a.PutEventInvokeConfig(ctx, "ev", "", put)
	if err != nil || out.FunctionArn != arnA+":$LATEST" {
		t.Fatalf("A's put: %+v, %v", out, err)
	}

	for _, name := range []string{"ev", arnA} {
		if _, err := b.GetEventInvokeConfig(ctx, name, ""); asAPIError(err) == nil || asAPIError(err).Status != 404 {
			t.Errorf("B reads A's %s: %v", name, err)
		}
		if _, err := b.PutEventInvokeConfig(ctx, name, "", &lambdaapi.EventInvokeConfigInput{MaximumRetryAttempts: intp(2)}); asAPIError(err) == nil ||
			asAPIError(err).Status != 404 {
			t.Errorf("B sets A's %s: %v", name, err)
		}
		if _, err := b.UpdateEventInvokeConfig(ctx, name, "", &lambdaapi.EventInvokeConfigInput{MaximumRetryAttempts: intp(2)}); asAPIError(err) == nil ||
			asAPIError(err).Status != 404 {
			t.Errorf("B updates A's %s: %v", name, err)
		}
		if err := b.DeleteEventInvokeConfig(ctx, name, ""); asAPIError(err) == nil || asAPIError(err).Status != 404 {
			t.Errorf("B deletes A's %s: %v", name, err)
		}
		if _, err := b.ListEventInvokeConfigs(ctx, name, "", 0); asAPIError(err) == nil || asAPIError(err).Status != 404 {
			t.Errorf("B lists A's %s: %v", name, err)
		}
	}
	createFunctionWith(t, b, "ev")
	_, err = b.PutEventInvokeConfig(ctx, "ev", "", put) // A's queue as B's destination
	if e := asAPIError(err); e == nil || e.Status != 400 || !strings.Contains(e.Message, "your account "+idB) {
		t.Errorf("B names A's queue: %v", err)
	}
	got, err := a.GetEventInvokeConfig(ctx, "ev", "")
	if err != nil || *got.MaximumRetryAttempts != 0 || got.DestinationConfig.OnFailure.Destination != put.DestinationConfig.OnFailure.Destination {
		t.Errorf("A's configuration after B's attempts: %+v, %v", got, err)
	}
}

// intp is &n.
func intp(n int) *int { return &n }
