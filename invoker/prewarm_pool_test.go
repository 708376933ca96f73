package invoker

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/lambdock/lambdock/internal/contract/function"
	"github.com/lambdock/lambdock/invoker/codecache"
)

func TestPoolStems(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	images := map[string]string{"provided.al2023": "img"}
	small, large := Shape{"img", 128, 512}, Shape{"img", 256, 512}
	newStemPool := func(capacity int) *pool {
		p := newPool(capacity)
		p.stemKey = stemKeyOf(images)
		return p
	}
	ready := func(t *testing.T, p *pool, sh Shape, id string) *env {
		t.Helper()
		e := p.reserveStem(sh, id, now)
		if e == nil {
			t.Fatalf("no room for stem %s", id)
		}
		if !p.stemStarted(e, now) {
			t.Fatalf("stem %s not put into the pool", id)
		}
		return e
	}

	t.Run("a function of the shape takes the stem, which becomes its environment", func(t *testing.T) {
		p := newStemPool(1024)
		stem := ready(t, p, small, "s1")
		if st := p.stats(); st.Stems != 1 || st.Idle != 0 || len(st.IdleByKey) != 0 || st.UsedMB != 128 {
			t.Errorf("stats with one stem: %+v", st)
		}
		spec := specOf("a", 128, "c1")
		g, err := p.acquire(spec, "new", now, true)
		if err != nil || !g.stem || g.cold || g.env != stem {
			t.Fatalf("acquire: %+v, %v; want the stem", g, err)
		}
		if stem.key != spec.PoolKey() || stem.state != stateStarting || !stem.prewarmed || p.used != 128 {
			t.Errorf("taken stem: key %q state %v prewarmed %v, used %d", stem.key, stem.state, stem.prewarmed, p.used)
		}
		if p.stemCount(small.key()) != 0 || p.stats().Stems != 0 {
			t.Errorf("the taken stem still counts as a stem")
		}
		p.started(stem)
		if !p.release(stem, now) {
			t.Fatal("release refused")
		}
		// It is the function's for good: another function of the shape does not get it.
		if g, _ := p.acquire(specOf("b", 128, "c1"), "b1", now, true); g.env == stem || !g.cold {
			t.Errorf("another function got the specialised environment")
		}
		if g, _ := p.acquire(spec, "again", now, true); g.env != stem || g.stem || g.cold {
			t.Errorf("its function did not get it back warm: %+v", g)
		}
	})

	t.Run("other shapes, image functions and warm containers come first or do not match", func(t *testing.T) {
		p := newStemPool(1024)
		ready(t, p, large, "s256")
		for _, spec := range []function.Spec{specOf("a", 128, "c1"), withImage(specOf("img", 256, "c1")),
			withEphemeral(specOf("eph", 256, "c1"), 1024)} {
			if g, err := p.acquire(spec, spec.Name, now, true); err != nil || g.stem || !g.cold {
				t.Errorf("%s: %+v, %v; want a new container", spec.Name, g, err)
			}
		}
		if p.stemCount(large.key()) != 1 {
			t.Errorf("the 256 MB stem was used")
		}
	})

	t.Run("stems only take free memory and are evicted for functions", func(t *testing.T) {
		p := newStemPool(512)
		ready(t, p, large, "s256")
		if e := p.reserveStem(Shape{"img", 512, 512}, "s512", now); e != nil {
			t.Errorf("a stem was reserved beyond the free capacity")
		}
		g, err := p.acquire(specOf("a", 256, "c1"), "a1", now, true)
		if err != nil || !g.stem {
			t.Fatalf("acquire: %+v, %v", g, err)
		}
		ready(t, p, small, "s128")
		g, err = p.acquire(specOf("big", 256, "c1"), "big", now, true)
		if err != nil || !g.cold || len(g.victims) != 1 || g.victims[0].id != "s128" {
			t.Errorf("a cold start with no room: %+v, %v; want the stem evicted", g, err)
		}
	})

	t.Run("a stem that becomes ready serves a queued caller; none is made while callers queue", func(t *testing.T) {
		p := newStemPool(256)
		busyEnv(t, p, specOf("busy", 128, "c0"), "busy")
		stem := p.reserveStem(small, "s1", now) // the last 128 MB, still starting
		q := mustQueue(t, p, specOf("a", 128, "c1"), "q")
		if p.reserveStem(small, "s2", now) != nil {
			t.Errorf("a stem was reserved while a caller is queued")
		}
		if !p.stemStarted(stem, now) {
			t.Fatal("stem not put into the pool")
		}
		if s, ok := got(q); !ok || s.g.env != stem || !s.g.stem {
			t.Errorf("queued caller got %+v (served %v); want the stem that became ready", s, ok)
		}
	})

	t.Run("closed pool", func(t *testing.T) {
		p := newStemPool(1024)
		e := p.reserveStem(small, "s1", now)
		p.close()
		if p.stemStarted(e, now) {
			t.Errorf("a stem went into a closed pool")
		}
		if p.reserveStem(small, "s2", now) != nil {
			t.Errorf("a stem was reserved in a closed pool")
		}
	})
}

func withImage(s function.Spec) function.Spec { s.Image = "my:image"; return s }

func withEphemeral(s function.Spec, mb int) function.Spec { s.EphemeralMB = mb; return s }

// TestGiveBackStem: a stem taken for a caller that gave up is discarded, and a caller waiting
// for a finishing environment of the same function keeps waiting for it.
func TestGiveBackStem(t *testing.T) {
	inv := testInvoker(t, 1024, 10*time.Minute, &fakeRemover{})
	inv.pool.stemKey = stemKeyOf(map[string]string{"provided.al2023": "img"})
	now := time.Now()
	a := specOf("a", 128, "c1")
	finishing := busyEnv(t, inv.pool, a, "finishing")
	inv.pool.finishing(finishing)
	wait, err := inv.pool.acquire(a, "waiter", now, true)
	if err != nil || wait.wait == nil {
		t.Fatalf("acquire: %+v, %v; want a handoff wait", wait, err)
	}
	stem := inv.pool.reserveStem(Shape{"img", 128, 512}, "stem", now)
	if stem == nil || !inv.pool.stemStarted(stem, now) {
		t.Fatal("no stem")
	}
	g, err := inv.pool.acquire(a, "taker", now, false)
	if err != nil || !g.stem || g.env != stem {
		t.Fatalf("acquire: %+v, %v; want the stem", g, err)
	}
	inv.giveBack(context.Background(), g)
	select {
	case e := <-wait.wait:
		t.Fatalf("the handoff waiter was woken with %v by a stem given back", e)
	default:
	}
	inv.pool.release(finishing, now)
	if e := <-wait.wait; e != finishing {
		t.Fatalf("the waiter got %v, want the finishing environment", e)
	}
}

// failingFetcher is a code store that is away.
type failingFetcher struct{}

func (failingFetcher) FetchCode(context.Context, string) ([]byte, error) {
	return nil, errors.New("code store unreachable")
}

// TestStemNotSpentOnMissingCode: when the function's code cannot be fetched, the invocation
// fails with that error after one stem; another stem is not taken for it.
func TestStemNotSpentOnMissingCode(t *testing.T) {
	inv := testInvoker(t, 1024, 10*time.Minute, &fakeRemover{})
	code, err := codecache.New(t.TempDir(), failingFetcher{}, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	inv.code, inv.cfg.RuntimeImages = code, map[string]string{"provided.al2023": "img"}
	inv.pool.stemKey = stemKeyOf(inv.cfg.RuntimeImages)
	inv.prewarm = newPrewarmer(1, nil)
	now := time.Now()
	for _, id := range []string{"s1", "s2"} {
		if e := inv.pool.reserveStem(Shape{"img", 128, 512}, id, now); e == nil || !inv.pool.stemStarted(e, now) {
			t.Fatal("no stem")
		}
	}
	spec := specOf("a", 128, strings.Repeat("ab", 32))
	g, err := inv.pool.acquire(spec, "a1", now, false)
	if err != nil || !g.stem {
		t.Fatalf("acquire: %+v, %v; want a stem", g, err)
	}
	if _, _, err := inv.fromStem(context.Background(), g, spec, inv.log); err == nil || !strings.Contains(err.Error(), "code store unreachable") {
		t.Fatalf("fromStem: %v; want the fetch error", err)
	}
	if n := inv.pool.stemCount(Shape{"img", 128, 512}.key()); n != 1 {
		t.Errorf("%d stems left, want 1: the second was spent on the same missing code", n)
	}
}
