package secretbox

import (
	"bytes"
	"path/filepath"
	"sync"
	"testing"
)

// TestLoadKeyConcurrentFirstStart: processes starting together on a new data directory must all
// get the one key created, never a file that exists but is not written yet.
func TestLoadKeyConcurrentFirstStart(t *testing.T) {
	for round := range 50 {
		path := filepath.Join(t.TempDir(), KeyFileName)
		const n = 16
		keys := make([][]byte, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				keys[i], errs[i] = LoadKey("", path)
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("round %d: LoadKey %d: %v", round, i, errs[i])
			}
			if !bytes.Equal(keys[i], keys[0]) {
				t.Fatalf("round %d: LoadKey %d returned another key than LoadKey 0", round, i)
			}
		}
	}
}
