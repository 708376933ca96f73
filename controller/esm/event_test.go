package esm

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestFailedItems: lambda-api.md §9.1's rules for a partial batch response.
func TestFailedItems(t *testing.T) {
	known := map[string]bool{"a": true, "b": true}
	tests := []struct {
		name    string
		payload string
		want    []string
		ok      bool
	}{
		{"empty response", ``, nil, true},
		{"null response", `null`, nil, true},
		{"empty object", `{}`, nil, true},
		{"null list", `{"batchItemFailures":null}`, nil, true},
		{"empty list", `{"batchItemFailures":[]}`, nil, true},
		{"one failure", `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, []string{"b"}, true},
		{"two failures", `{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"b"}]}`, []string{"a", "b"}, true},
		{"invalid JSON", `{"batchItemFailures":`, nil, false},
		{"not an object", `"ok"`, nil, false},
		{"empty id", `{"batchItemFailures":[{"itemIdentifier":""}]}`, nil, false},
		{"null id", `{"batchItemFailures":[{"itemIdentifier":null}]}`, nil, false},
		{"wrong key", `{"batchItemFailures":[{"id":"a"}]}`, nil, false},
		{"unknown id", `{"batchItemFailures":[{"itemIdentifier":"c"}]}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := failedItems([]byte(tt.payload), known)
			if ok != tt.ok || len(got) != len(tt.want) {
				t.Fatalf("failedItems(%s) = %v, %v; want %v, %v", tt.payload, got, ok, tt.want, tt.ok)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("failedItems(%s) = %v, want %v", tt.payload, got, tt.want)
				}
			}
		})
	}
}

// TestEventDecodesAsSQSEvent: aws-lambda-go's events.SQSEvent reads Lambdock's event, and a
// function's events.SQSEventResponse is a valid partial batch response.
func TestEventDecodesAsSQSEvent(t *testing.T) {
	body := "hello"
	ev := Event{Records: []Record{{MessageID: "m1", ReceiptHandle: "r", Body: body,
		Attributes:        map[string]string{"ApproximateReceiveCount": "2", "SentTimestamp": "1545082649183"},
		MessageAttributes: map[string]MessageAttribute{"Trace": {StringValue: &body, StringListValues: []string{}, BinaryListValues: []string{}, DataType: "String"}},
		MD5OfBody:         "5d41402abc4b2a76b9719d911017c592", EventSource: EventSource,
		EventSourceARN: "arn:aws:nats:us-east-1:000000000000:queue/jobs", AWSRegion: "us-east-1"}}}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var got events.SQSEvent
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	r := got.Records[0]
	if r.MessageId != "m1" || r.Body != body || r.EventSource != "aws:sqs" || r.Attributes["ApproximateReceiveCount"] != "2" ||
		r.EventSourceARN != ev.Records[0].EventSourceARN || *r.MessageAttributes["Trace"].StringValue != body {
		t.Fatalf("decoded %+v", r)
	}
	resp, err := json.Marshal(events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "m1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if ids, ok := failedItems(resp, map[string]bool{"m1": true}); !ok || len(ids) != 1 {
		t.Fatalf("failedItems(%s) = %v, %v", resp, ids, ok)
	}
}
