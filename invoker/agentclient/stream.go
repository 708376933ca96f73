package agentclient

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/lambdock/lambdock/internal/contract/agentproto"
)

// stream is Reply.Stream: the body of a streamed reply, which completes the Reply from the
// trailers when it ends.
type stream struct {
	resp  *http.Response
	reply *Reply
	err   error // sticky: the end, io.EOF or a failure
}

func (s *stream) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.resp.Body.Read(p)
	switch {
	case errors.Is(err, io.EOF):
		// The trailers are known once the body was read to its end.
		if terr := s.reply.setResult(s.resp.Trailer); terr != nil {
			err = terr
		} else if len(s.resp.Trailer.Values(agentproto.HeaderResultDurationNs)) == 0 {
			err = fmt.Errorf("agentclient: streamed reply ended without its trailers: %w", io.ErrUnexpectedEOF)
		}
		s.err = err
	case err != nil:
		err = fmt.Errorf("agentclient: read streamed reply: %w", err)
		s.err = err
	}
	return n, err
}

func (s *stream) Close() error { return s.resp.Body.Close() }
