package natsservice

import (
	"slices"
	"sync"
)

// busySet holds the tokens of the invocations taken and not yet released, which every heartbeat
// lists (msg.Heartbeat.Busy). It counts each token, so that two invocations that happen to
// carry the same one (two controllers, or no lease header and a reused request id) are each
// listed until their own Released.
type busySet struct {
	mu     sync.Mutex
	tokens map[string]int
}

// add records a taken invocation.
func (b *busySet) add(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens == nil {
		b.tokens = map[string]int{}
	}
	b.tokens[token]++
}

// remove forgets one invocation with token: its Released was published, or it was refused.
func (b *busySet) remove(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tokens[token] <= 1 {
		delete(b.tokens, token)
		return
	}
	b.tokens[token]--
}

// list is the tokens held, sorted; never nil.
func (b *busySet) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.tokens))
	for token := range b.tokens {
		out = append(out, token)
	}
	slices.Sort(out)
	return out
}
