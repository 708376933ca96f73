package invoker

import (
	"errors"
	"io"
	"sync"
)

// errClosedEarly ends a stream its reader closed before its end: the runtime may still be
// writing, so the environment is not reused.
var errClosedEarly = errors.New("invoker: stream closed before its end")

// resultStream is Result.Stream: the agent's streamed reply, calling end once when it ends
// (nil at io.EOF, else why).
type resultStream struct {
	body io.ReadCloser
	once sync.Once
	end  func(error)
}

func (s *resultStream) Read(p []byte) (int, error) {
	n, err := s.body.Read(p)
	if err != nil {
		s.finish(err)
	}
	return n, err
}

// Close releases the stream; before its end, the environment is removed.
func (s *resultStream) Close() error {
	err := s.body.Close()
	s.finish(errClosedEarly)
	return err
}

func (s *resultStream) finish(err error) {
	s.once.Do(func() {
		if errors.Is(err, io.EOF) {
			err = nil
		}
		s.end(err)
	})
}
