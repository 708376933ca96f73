package target

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		arn     string
		kind    string
		subject string // NATSSubject
		wantErr bool
	}{
		{arn: "arn:aws:lambda:us-east-1:000000000000:function:f", kind: KindFunction},
		{arn: "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST", kind: KindFunction},
		{arn: "arn:aws:nats:us-east-1:000000000001:subject/orders.done", kind: KindSubject, subject: "lambdock.user.000000000001.orders.done"},
		{arn: "arn:aws:nats:us-east-1:000000000001:queue/jobs", kind: KindQueue, subject: "lambdock.user.000000000001.queue.jobs"},
		{arn: "arn:aws:nats:us-east-1:000000000001:subject/orders.*", wantErr: true},
		{arn: "arn:aws:nats:us-east-1:000000000001:subject/a..b", wantErr: true},
		{arn: "arn:aws:nats:us-east-1:000000000001:subject/>", wantErr: true},
		{arn: "arn:aws:nats:us-east-1:000000000001:queue/a.b", wantErr: true},
		{arn: "arn:aws:sqs:us-east-1:000000000001:q", wantErr: true},
		{arn: "arn:aws:lambda:us-east-1:1:function:f", wantErr: true},
		{arn: "arn:aws:lambda::000000000000:function:f", wantErr: true},
		{arn: "arn:aws:lambda:us-east-1:000000000000:function:f g", wantErr: true},
		{arn: "not-an-arn", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.arn)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error = %v, want error %v", tt.arn, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got.Kind != tt.kind || got.NATSSubject() != tt.subject {
			t.Errorf("Parse(%q) = kind %q subject %q, want %q %q", tt.arn, got.Kind, got.NATSSubject(), tt.kind, tt.subject)
		}
	}
}
