package metering

import (
	"fmt"

	"github.com/bytedance/sonic"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// decodeJSON is the writer's JSON decoder: sonic's encoding/json-compatible configuration
// (ConfigStd), which reads a record as msg.Decode does (TestDecodeMatchesMsgDecode) at about a
// third of its CPU. Decoding was the writer's largest cost per record after the NATS server's
// own work (see BenchmarkIngest); on platforms sonic does not accelerate it is encoding/json.
var decodeJSON = sonic.ConfigStd

// decodeUsage decodes a usage record.
func decodeUsage(data []byte) (msg.Usage, error) {
	var u msg.Usage
	if err := decodeJSON.Unmarshal(data, &u); err != nil {
		return msg.Usage{}, fmt.Errorf("metering: decode usage: %w", err)
	}
	return u, nil
}

// decodeThrottles decodes a controller's throttle record.
func decodeThrottles(data []byte) (msg.Throttles, error) {
	var t msg.Throttles
	if err := decodeJSON.Unmarshal(data, &t); err != nil {
		return msg.Throttles{}, fmt.Errorf("metering: decode throttles: %w", err)
	}
	return t, nil
}
