package metering

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/lambdock/lambdock/internal/contract/msg"
)

// Spool file names inside the spool directory.
const (
	spoolFile  = "usage.spool"        // records appended while the stream is out of reach
	replayFile = "usage.spool.replay" // the older records, being published to the stream
)

// DefaultSpoolMaxBytes bounds a spool: about a million records.
const DefaultSpoolMaxBytes = 512 << 20

// ErrSpoolFull is returned by Append when the spool holds its maximum.
var ErrSpoolFull = errors.New("metering: usage spool full")

// Spool keeps the usage records an invoker could not store in the stream, on local disk, in the
// order they came, until they are published: one JSON record per line, each append fsync'd before
// Append returns, so an invoker that crashes or stops while NATS is away loses none. The
// Publisher replays it (Publisher.Run). It is safe for concurrent use.
//
// Two files make the replay safe against new appends: Append always writes to usage.spool; a
// replay first renames it to usage.spool.replay (when that is not there already: a replay that
// failed part way starts again from its first record) and removes that file only once every
// record in it is stored. Records published twice this way are dropped by the stream's
// Nats-Msg-Id duplicate window or by the writer's ON CONFLICT.
type Spool struct {
	dir      string
	maxBytes int64

	mu      sync.Mutex
	size    int64 // bytes in both files
	pending bool  // either file holds records
}

// OpenSpool opens (creating it if needed) the spool in dir, bounded to maxBytes (0:
// DefaultSpoolMaxBytes). Records left by an earlier process are pending and are replayed first.
func OpenSpool(dir string, maxBytes int64) (*Spool, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultSpoolMaxBytes
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("metering: create spool dir: %w", err)
	}
	s := &Spool{dir: dir, maxBytes: maxBytes}
	for _, name := range []string{spoolFile, replayFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("metering: spool: %w", err)
		default:
			s.size += fi.Size()
		}
	}
	s.pending = s.size > 0
	if err := s.endLine(); err != nil {
		return nil, err
	}
	return s, nil
}

// endLine ends a last line cut short by a crash mid-append, so that the next record starts a
// line of its own (the cut one is skipped at replay; its Append never returned).
func (s *Spool) endLine() error {
	f, err := os.OpenFile(filepath.Join(s.dir, spoolFile), os.O_RDWR|os.O_APPEND, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("metering: spool: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, fi.Size()-1); err != nil {
		return fmt.Errorf("metering: spool: %w", err)
	}
	if last[0] == '\n' {
		return nil
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		return fmt.Errorf("metering: spool: %w", err)
	}
	s.size++
	return f.Sync()
}

// Pending reports whether records wait to be published. While they do, new records are
// appended behind them rather than published, so the stream receives them in order.
func (s *Spool) Pending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// Append writes u to the spool and syncs it to disk.
func (s *Spool) Append(u msg.Usage) error {
	line := append(msg.Encode(u), '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.size+int64(len(line)) > s.maxBytes {
		return ErrSpoolFull
	}
	f, err := os.OpenFile(filepath.Join(s.dir, spoolFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("metering: spool: %w", err)
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("metering: spool: %w", err)
	}
	s.size += int64(len(line))
	s.pending = true
	return nil
}

// batch returns the records to replay next, oldest first: the replay file's, after moving the
// appended records there if it had none. Empty when nothing is pending.
func (s *Spool) batch() ([]msg.Usage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	replay := filepath.Join(s.dir, replayFile)
	if _, err := os.Stat(replay); errors.Is(err, fs.ErrNotExist) {
		err := os.Rename(filepath.Join(s.dir, spoolFile), replay)
		if errors.Is(err, fs.ErrNotExist) {
			s.pending, s.size = false, 0
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("metering: spool: %w", err)
		}
	}
	b, err := os.ReadFile(replay)
	if err != nil {
		return nil, fmt.Errorf("metering: spool: %w", err)
	}
	var out []msg.Usage
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		u, err := msg.Decode[msg.Usage](sc.Bytes())
		if err != nil || u.RequestID == "" {
			continue // a line cut by a crash mid-append: its record was never acknowledged as spooled
		}
		out = append(out, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metering: spool: %w", err)
	}
	return out, nil
}

// done removes the replay file once all of its records are stored.
func (s *Spool) done() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	replay := filepath.Join(s.dir, replayFile)
	fi, err := os.Stat(replay)
	if err != nil {
		return fmt.Errorf("metering: spool: %w", err)
	}
	if err := os.Remove(replay); err != nil {
		return fmt.Errorf("metering: spool: %w", err)
	}
	s.size -= fi.Size()
	_, err = os.Stat(filepath.Join(s.dir, spoolFile))
	s.pending = err == nil
	return nil
}
