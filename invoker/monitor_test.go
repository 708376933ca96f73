package invoker

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestProcMemory(t *testing.T) {
	tests := []struct {
		name     string
		meminfo  string
		pressure string // "" : no pressure file (a kernel without PSI)
		want     MemoryReading
		wantErr  bool
	}{
		{"meminfo and PSI", "MemTotal:       24684300 kB\nMemFree:        24000000 kB\nMemAvailable:    2097152 kB\n",
			"some avg10=12.50 avg60=3.00 avg300=0.50 total=123\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=4\n",
			MemoryReading{AvailableMB: 2048, PressureSome10: 12.5, HasPressure: true}, false},
		{"no PSI", "MemAvailable:    1048576 kB\n", "", MemoryReading{AvailableMB: 1024}, false},
		{"no MemAvailable", "MemTotal:       24684300 kB\n", "", MemoryReading{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, "meminfo"), []byte(tc.meminfo), 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.pressure != "" {
				if err := os.MkdirAll(filepath.Join(root, "pressure"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, "pressure", "memory"), []byte(tc.pressure), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ProcMemory{Root: root}.ReadMemory()
			if (err != nil) != tc.wantErr || (!tc.wantErr && got != tc.want) {
				t.Errorf("ReadMemory = %+v, %v; want %+v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
	if _, err := (ProcMemory{Root: "/proc"}).ReadMemory(); err != nil {
		t.Logf("this host's /proc: %v", err) // not every test host is Linux
	}
}

func TestMemoryShortfall(t *testing.T) {
	tests := []struct {
		name            string
		hostMB, capMB   int
		reading         MemoryReading
		wantReserve     int
		wantShortfallMB int
	}{
		{"plenty available", 16000, 12800, MemoryReading{AvailableMB: 8000}, 3200, 0},
		{"below the reserve the capacity leaves", 16000, 12800, MemoryReading{AvailableMB: 3000}, 3200, 200},
		{"capacity of the whole host: 5% reserve", 16000, 16000, MemoryReading{AvailableMB: 700}, 800, 100},
		{"small capacity: at most 20% reserve", 16000, 2000, MemoryReading{AvailableMB: 3000}, 3200, 200},
		{"pressure without shortfall: one step", 16000, 12800,
			MemoryReading{AvailableMB: 8000, PressureSome10: 25, HasPressure: true}, 3200, 640},
		{"pressure below the threshold", 16000, 12800,
			MemoryReading{AvailableMB: 8000, PressureSome10: 2, HasPressure: true}, 3200, 0},
		{"pressure and a larger shortfall", 16000, 12800,
			MemoryReading{AvailableMB: 1000, PressureSome10: 80, HasPressure: true}, 3200, 2200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reserve := reserveMB(tc.hostMB, tc.capMB)
			got := shortfallMB(tc.reading, reserve, int(float64(tc.capMB)*pressureStepShare))
			if reserve != tc.wantReserve || got != tc.wantShortfallMB {
				t.Errorf("reserve %d MB, shortfall %d MB; want %d and %d", reserve, got, tc.wantReserve, tc.wantShortfallMB)
			}
		})
	}
}

// readings is a HostMemory that returns the readings it was given, one per call, then a
// healthy one.
type readings struct {
	mu   sync.Mutex
	next []MemoryReading
}

func (r *readings) ReadMemory() (MemoryReading, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.next) == 0 {
		return MemoryReading{AvailableMB: 1 << 20}, nil
	}
	m := r.next[0]
	r.next = r.next[1:]
	return m, nil
}

func (r *readings) push(m MemoryReading) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next = append(r.next, m)
}

func TestCheckMemoryEvictsIdleByValue(t *testing.T) {
	t.Parallel()
	inv := testInvoker(t, 4096, 10*time.Minute, &fakeRemover{})
	host := &readings{}
	inv.cfg.HostMemory, inv.cfg.CapacityMB, inv.reserveMB = host, 4096, 1000
	now := time.Now()
	oldest := addIdle(t, inv, specOf("oldest", 512, "x"), "oldest", now.Add(-3*time.Minute))
	middle := addIdle(t, inv, specOf("middle", 512, "x"), "middle", now.Add(-2*time.Minute))
	fresh := addIdle(t, inv, specOf("fresh", 512, "x"), "fresh", now.Add(-time.Minute))
	inv.pool.measured(middle, 0, 40) // measured: it holds 40 MB, not its 512 MB limit
	g, err := inv.pool.acquire(specOf("busy", 512, "x"), "busy", now, false)
	if err != nil {
		t.Fatal(err)
	}
	inv.pool.started(g.env)
	busy := g.env

	steps := []struct {
		reading MemoryReading
		gone    []*env
		short   bool // pre-warming holds off
	}{
		{MemoryReading{AvailableMB: 1 << 20}, nil, false},
		{MemoryReading{AvailableMB: 999}, []*env{oldest}, true},                                                     // 1 MB short: the least valuable one
		{MemoryReading{AvailableMB: 900}, []*env{oldest, middle, fresh}, true},                                      // middle's 40 MB do not cover 100
		{MemoryReading{AvailableMB: 1, PressureSome10: 99, HasPressure: true}, []*env{oldest, middle, fresh}, true}, // nothing idle left
		{MemoryReading{AvailableMB: 1 << 20}, []*env{oldest, middle, fresh}, false},                                 // recovered
	}
	for i, s := range steps {
		host.push(s.reading)
		if err := inv.checkMemory(context.Background(), now); err != nil {
			t.Fatal(err)
		}
		for _, e := range []*env{oldest, middle, fresh} {
			_, live := inv.pool.envs[e]
			want := true
			for _, g := range s.gone {
				want = want && g != e
			}
			if live != want {
				t.Errorf("step %d: %s live %v, want %v", i, e.id, live, want)
			}
		}
		if short := inv.memoryShort.Load(); short != s.short {
			t.Errorf("step %d: memory short %v, want %v", i, short, s.short)
		}
		if _, live := inv.pool.envs[busy]; !live || busy.state != stateBusy {
			t.Errorf("step %d: the busy environment was touched", i)
		}
	}
	if st := inv.Stats(); st.UsedMB != 512 || st.Busy != 1 || st.Idle != 0 {
		t.Errorf("stats %+v; want only the busy environment's 512 MB", st)
	}
}

func TestMonitorStopsWithoutReadings(t *testing.T) {
	t.Parallel()
	inv := testInvoker(t, 1024, time.Minute, &fakeRemover{})
	inv.cfg.HostMemory = failing{}
	inv.monitorDone = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go inv.monitor(ctx)
	select {
	case <-inv.monitorDone:
	case <-time.After(10 * monitorInterval):
		t.Fatal("monitor still running without readings")
	}
}

type failing struct{}

func (failing) ReadMemory() (MemoryReading, error) { return MemoryReading{}, errors.New("no /proc") }
