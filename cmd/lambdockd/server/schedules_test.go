package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/cmd/lambdockd/server"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// The controller role runs the scheduler: a schedule created through the API puts its ticks on
// the event stream, as EventBridge's scheduled event.
func TestControllerRunsSchedules(t *testing.T) {
	cfg := controlPlane(t, testenv.NATS(t).ClientURL(), testenv.Postgres(t))
	cfg.Insecure = true
	srv := startServer(t, cfg)
	ctx := context.Background()
	c := lambdaclient.New("http://" + srv.Addr())
	if _, err := c.CreateFunction(ctx, &lambdaapi.CreateFunctionInput{FunctionName: "tick", Runtime: "provided.al2023",
		Handler: "bootstrap", Role: "arn:aws:iam::000000000000:role/r",
		Code: lambdaapi.FunctionCode{ZipFile: gatewaytest.Zip(t, map[string]string{"bootstrap": "#!/bin/sh\n"})}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSchedule(ctx, lambdaapi.CreateScheduleInput{Name: "every-second", FunctionName: "tick",
		ScheduleExpression: "rate(1 second)"}); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(server.NATSConn(srv))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, msg.StreamEvents)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		raw, err := stream.GetLastMsgForSubject(ctx, msg.SubjectEventAll)
		if err == nil {
			inv, err := msg.DecodeInvocation(&nats.Msg{Subject: raw.Subject, Header: raw.Header, Data: raw.Data})
			if err != nil {
				t.Fatal(err)
			}
			var ev map[string]any
			if err := json.Unmarshal(inv.Payload, &ev); err != nil || ev["detail-type"] != "Scheduled Event" ||
				inv.Event == nil || inv.Event.Source != msg.EventSourceSchedule || inv.Function.Name != "tick" {
				t.Fatalf("event %s, %+v, %v", inv.Payload, inv.Event, err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no tick on the event stream: %v", err)
		}
	}
}
