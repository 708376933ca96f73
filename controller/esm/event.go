package esm

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// EventSource is each record's eventSource. Lambda's SQS events say "aws:sqs"; Lambdock says the
// same, so that handlers and libraries that route on it (aws-lambda-go's events.SQSEvent,
// Powertools' batch processors) take a queue trigger's event for what it is shaped like. The
// record's eventSourceARN names the Lambdock queue.
const EventSource = "aws:sqs"

// messageIDSpace is the namespace of message ids derived from a stream and a sequence.
var messageIDSpace = uuid.MustParse("8c6f5f0e-3d7a-4b59-9a51-7d7f6f0c2f11")

// Event is the SQS-shaped event a function receives (aws-lambda-go events.SQSEvent).
type Event struct {
	Records []Record `json:"Records"`
}

// Record is one message of a batch (aws-lambda-go events.SQSMessage).
type Record struct {
	MessageID         string                      `json:"messageId"`
	ReceiptHandle     string                      `json:"receiptHandle"`
	Body              string                      `json:"body"`
	Attributes        map[string]string           `json:"attributes"`
	MessageAttributes map[string]MessageAttribute `json:"messageAttributes"`
	MD5OfBody         string                      `json:"md5OfBody"`
	EventSource       string                      `json:"eventSource"`
	EventSourceARN    string                      `json:"eventSourceARN"`
	AWSRegion         string                      `json:"awsRegion"`
}

// MessageAttribute is one NATS header of the message, as an SQS String attribute.
type MessageAttribute struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues []string `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

// BatchResponse is the partial batch response of a function with ReportBatchItemFailures
// (aws-lambda-go events.SQSEventResponse).
type BatchResponse struct {
	BatchItemFailures []struct {
		ItemIdentifier *string `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

// messageID is the message's Nats-Msg-Id when it has one, else a UUID derived from its stream
// and sequence: the same on every delivery.
func messageID(m jetstream.Msg, md *jetstream.MsgMetadata) string {
	if id := m.Headers().Get(nats.MsgIdHdr); id != "" {
		return id
	}
	return uuid.NewSHA1(messageIDSpace, []byte(md.Stream+"/"+strconv.FormatUint(md.Sequence.Stream, 10))).String()
}

// newRecord builds the record of a message; arn, region and account are the queue's.
func newRecord(m jetstream.Msg, md *jetstream.MsgMetadata, id, arn, region, account string, now time.Time) Record {
	sent := md.Timestamp
	firstReceive := now
	if md.NumDelivered > 1 { // the first receive's time is not kept: the send time bounds it
		firstReceive = sent
	}
	sum := md5.Sum(m.Data())
	r := Record{
		MessageID: id,
		ReceiptHandle: base64.StdEncoding.EncodeToString([]byte(md.Stream + "/" +
			strconv.FormatUint(md.Sequence.Stream, 10) + "/" + strconv.FormatUint(md.NumDelivered, 10))),
		Body: string(m.Data()),
		Attributes: map[string]string{
			"ApproximateReceiveCount":          strconv.FormatUint(md.NumDelivered, 10),
			"SentTimestamp":                    strconv.FormatInt(sent.UnixMilli(), 10),
			"SenderId":                         account,
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(firstReceive.UnixMilli(), 10),
		},
		MessageAttributes: map[string]MessageAttribute{},
		MD5OfBody:         hex.EncodeToString(sum[:]),
		EventSource:       EventSource,
		EventSourceARN:    arn,
		AWSRegion:         region,
	}
	for k, vs := range m.Headers() {
		if strings.HasPrefix(k, "Nats-") || len(vs) == 0 {
			continue
		}
		v := vs[0]
		r.MessageAttributes[k] = MessageAttribute{StringValue: &v, StringListValues: []string{},
			BinaryListValues: []string{}, DataType: "String"}
	}
	return r
}

// failedItems reads a partial batch response: the ids the function reported, or ok false when
// the whole batch failed (invalid JSON, an empty, missing or unknown itemIdentifier), as
// lambda-api.md §9.1 says. An empty or null response, or null or empty batchItemFailures, is a
// full success.
func failedItems(payload []byte, known map[string]bool) (ids []string, ok bool) {
	trimmed := strings.TrimSpace(string(payload))
	if trimmed == "" || trimmed == "null" {
		return nil, true
	}
	var resp BatchResponse
	if err := json.Unmarshal(payload, &resp); err != nil {
		return nil, false
	}
	for _, f := range resp.BatchItemFailures {
		if f.ItemIdentifier == nil || *f.ItemIdentifier == "" || !known[*f.ItemIdentifier] {
			return nil, false
		}
		ids = append(ids, *f.ItemIdentifier)
	}
	return ids, true
}
