package async

import (
	"encoding/json"
	"testing"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
)

func TestNewRecord(t *testing.T) {
	inv := msg.Invocation{RequestID: "r", Payload: []byte(`{"a":1}`),
		Function: function.Spec{Name: "f", AccountID: "000000000001", Region: "eu-west-1"},
		Event:    &msg.EventInfo{Attempt: 2, Qualifier: "live"}}
	tests := []struct {
		name      string
		inv       msg.Invocation
		condition string
		reply     *msg.InvocationReply
		want      string // the record without its timestamp
	}{
		{"success", inv, ConditionSuccess, &msg.InvocationReply{Payload: []byte(`"ok"`), ExecutedVersion: "$LATEST"},
			`{"requestContext":{"requestId":"r","functionArn":"arn:aws:lambda:eu-west-1:000000000001:function:f:live","condition":"Success","approximateInvokeCount":2},"requestPayload":{"a":1},"responseContext":{"statusCode":200,"executedVersion":"$LATEST"},"responsePayload":"ok","version":"1.0"}`},
		{"function error", inv, ConditionRetriesExhausted, &msg.InvocationReply{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom"}`)},
			`{"requestContext":{"requestId":"r","functionArn":"arn:aws:lambda:eu-west-1:000000000001:function:f:live","condition":"RetriesExhausted","approximateInvokeCount":2},"requestPayload":{"a":1},"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":{"errorMessage":"boom"},"version":"1.0"}`},
		{"platform client error", inv, ConditionRetriesExhausted, &msg.InvocationReply{Error: lambdaerr.InvalidRequestContent("bad")},
			`{"requestContext":{"requestId":"r","functionArn":"arn:aws:lambda:eu-west-1:000000000001:function:f:live","condition":"RetriesExhausted","approximateInvokeCount":2},"requestPayload":{"a":1},"responseContext":{"statusCode":400,"executedVersion":"$LATEST"},"responsePayload":{"Type":"User","__type":"InvalidRequestContentException","message":"bad"},"version":"1.0"}`},
		{"no response, text payload, unqualified", msg.Invocation{RequestID: "r", Payload: []byte("not json"),
			Function: function.Spec{Name: "f", AccountID: "000000000001", Region: "eu-west-1"}, Event: &msg.EventInfo{}},
			ConditionZeroReservedConcurrency, nil,
			`{"requestContext":{"requestId":"r","functionArn":"arn:aws:lambda:eu-west-1:000000000001:function:f:$LATEST","condition":"ZeroReservedConcurrency","approximateInvokeCount":0},"requestPayload":"not json","version":"1.0"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			invoked := 2
			if tt.reply == nil {
				invoked = 0
			}
			var got map[string]any
			if err := json.Unmarshal(encodeRecord(newRecord(tt.inv, tt.condition, invoked, tt.reply)), &got); err != nil {
				t.Fatal(err)
			}
			if _, ok := got["timestamp"].(string); !ok {
				t.Fatalf("no timestamp in %v", got)
			}
			delete(got, "timestamp")
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Fatalf("record\n got %s\nwant %s", g, w)
			}
		})
	}
}
