package natsservice

import (
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/invoker"
)

// relayStream publishes a streamed result on subject as it is read: one msg.StreamChunk per
// read of at most msg.MaxStreamChunk bytes, then msg.StreamEnd with the outcome, which is
// known (in res) once the stream has ended. record runs once the stream has ended, before its
// end is published (the caller's answer), when the run is billed: it ended (well or with a
// function error), or it failed because the function's container was killed for its memory
// limit (res.FunctionError, a crash; the end says so and relayStream returns nil). A stream
// that failed on the platform's side (res.Unbilled) is not recorded; its end says so
// (lambdaerr.CodeService) and the error is returned. A publish that fails is logged and the rest
// still read, so the environment is handed back as usual; the reader sees the gap.
func (s *Service) relayStream(subject string, res *invoker.Result, record func()) error {
	defer res.Stream.Close()
	buf := make([]byte, msg.MaxStreamChunk)
	var seq int64
	publish := func(m *nats.Msg) {
		if err := s.nc.PublishMsg(m); err != nil {
			s.log.Warn("stream message not published", zap.String("request_id", res.RequestID),
				zap.Int64("seq", seq), zap.Error(err))
		}
		seq++
	}
	for {
		n, err := res.Stream.Read(buf)
		if n > 0 {
			publish(msg.StreamChunk(subject, seq, buf[:n])) // PublishMsg copies the data
		}
		switch {
		case errors.Is(err, io.EOF):
			record()
			publish(msg.StreamEnd(subject, seq, res.FunctionError, nil))
			return nil
		case err != nil && !res.Unbilled && res.FunctionError != "":
			record()
			publish(msg.StreamEnd(subject, seq, res.FunctionError, nil))
			return nil
		case err != nil:
			publish(msg.StreamEnd(subject, seq, lambdaerr.CodeService, nil))
			return fmt.Errorf("read the stream: %w", err)
		}
	}
}
