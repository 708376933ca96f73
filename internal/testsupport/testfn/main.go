// Command testfn is the Lambda function Lambdock's tests run: an ordinary aws-lambda-go program
// (lambda.Start) built as a static `bootstrap`, whose behaviour the event chooses:
//
//	{"op":"echo","value":…}        returns the event
//	{"op":"error"}                 returns errors.New("boom")
//	{"op":"panic"}                 panics (aws-lambda-go reports it, then the process exits)
//	{"op":"sleep","ms":3000}       sleeps, then returns {"slept_ms":…}
//	{"op":"alloc","mb":200}        allocates and touches mb MiB, returns {"allocated_mb":…}
//	{"op":"env"}                   returns os.Environ() as a map
//	{"op":"write","path":"/x"}     writes a file, returns {"ok":true} or {"error":"…"}
//	{"op":"readfile","path":"/x"}  returns {"content":"…"} or {"error":"…"}
//	{"op":"forkbomb"}              starts copies of itself until that fails, returns
//	                               {"spawned":n,"error":"…"} (the copies sleep and exit)
//	{"op":"count"}                 returns {"count":n,"hostname":…,"pid":…}: n counts the calls this
//	                               process served, so equal hostnames with rising counts prove one
//	                               container and one runtime served them
//	{"op":"stream","chunks":["a","b"],"ms":1000,"hold":false}
//	                               streams a function URL response through lambdaurl.Wrap:
//	                               status 201, the chunks ms apart; hold: then never returns
//	{"op":"report","url":"http://…","ms":50}
//	                               POSTs its request id to url (the test's listener), then sleeps
//	                               ms and returns {"reported":id}
//	{"op":"flaky","key":"k","fails":2}
//	                               fails ("flaky failure n of 2") the first `fails` calls with this
//	                               key that this process serves, then returns {"calls":n}: retries
//	                               of an asynchronous event reach the same warm process
//	{"op":"print","lines":3,"size":100,"ms":0,"exit":false}
//	                               prints lines of about size bytes ("print <i> xxx…"), sleeps
//	                               ms, then exits with status 1 (exit) or returns {"printed":n}
//	{"op":"interval","ms":50}      sleeps, then returns {"start_ns","end_ns","hostname"}: when it ran
//	{"name":"x"}                   (no op) returns {"message":"Hello, x!","code":…}, like the
//	                               scaffolded function; code is the package's code.txt (hello.go)
//	a function URL event           echoes the request as the HTTP response (see handleURL)
//	a function URL event for /stream  streams the chunks its query names (see streamURL)
//	a queue trigger's batch (SQS-shaped)  fails when a record's body contains "error", else
//	                               reports every record whose body contains "fail" in
//	                               batchItemFailures (see handleSQS)
//
// With TESTFN_INIT_SLEEP_MS set (a number of milliseconds) its init lasts that long.
//
// Build: CGO_ENABLED=0 GOOS=linux go build -o bootstrap ./internal/testsupport/testfn
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// childEnv, when set in the environment, makes the process a fork-bomb child: it sleeps and exits.
const childEnv = "TESTFN_CHILD_SLEEP"

// maxSpawn bounds the fork bomb when nothing stops it.
const maxSpawn = 10000

// event is the test event; only the fields of the chosen op matter.
type event struct {
	Op   string `json:"op"`
	MS   int    `json:"ms"`
	MB   int    `json:"mb"`
	Path string `json:"path"`
	URL  string `json:"url"`
	// Chunks and Hold are for the stream op.
	Chunks []string `json:"chunks"`
	Hold   bool     `json:"hold"`
	// Key and Fails are for the flaky op.
	Key   string `json:"key"`
	Fails int    `json:"fails"`
	// Lines, Size and Exit are for the print op.
	Lines int  `json:"lines"`
	Size  int  `json:"size"`
	Exit  bool `json:"exit"`
	// Name, without an op, asks for hello's greeting.
	Name string `json:"name"`
}

// function holds what survives between invocations in one process.
type function struct {
	count int
	calls map[string]int // flaky op: calls by key
}

// initSleepEnv, when set to a number of milliseconds, makes the init (before the runtime's
// first /next) last that long.
const initSleepEnv = "TESTFN_INIT_SLEEP_MS"

func main() {
	if os.Getenv(childEnv) != "" {
		time.Sleep(3 * time.Second)
		return
	}
	if ms, err := strconv.Atoi(os.Getenv(initSleepEnv)); err == nil && ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond) // a slow init
	}
	f := &function{calls: map[string]int{}}
	lambda.Start(f.handle)
}

func (f *function) handle(ctx context.Context, raw json.RawMessage) (any, error) {
	if isURLEvent(raw) {
		if res, ok, err := streamURL(ctx, raw); ok {
			return res, err
		}
		return handleURL(raw)
	}
	if isSQSEvent(raw) {
		return handleSQS(raw)
	}
	var ev event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("bad event: %w", err)
	}
	switch ev.Op {
	case "":
		if ev.Name != "" {
			return hello(ev.Name), nil
		}
	case "echo":
		return raw, nil
	case "error":
		return nil, errors.New("boom")
	case "print":
		return printOp(ev)
	case "panic":
		panic("testfn: panic requested")
	case "sleep":
		time.Sleep(time.Duration(ev.MS) * time.Millisecond)
		return map[string]int{"slept_ms": ev.MS}, nil
	case "alloc":
		return map[string]int{"allocated_mb": alloc(ev.MB)}, nil
	case "env":
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		return env, nil
	case "write":
		if err := os.WriteFile(ev.Path, []byte("x"), 0o644); err != nil {
			return map[string]any{"ok": false, "error": err.Error()}, nil
		}
		return map[string]any{"ok": true}, nil
	case "readfile":
		b, err := os.ReadFile(ev.Path)
		if err != nil {
			return map[string]any{"error": err.Error()}, nil
		}
		return map[string]any{"content": string(b)}, nil
	case "forkbomb":
		return forkbomb(), nil
	case "stream":
		return stream(ctx, ev)
	case "report":
		return report(ctx, ev)
	case "flaky":
		f.calls[ev.Key]++
		if n := f.calls[ev.Key]; n <= ev.Fails {
			return nil, fmt.Errorf("flaky failure %d of %d", n, ev.Fails)
		}
		return map[string]int{"calls": f.calls[ev.Key]}, nil
	case "interval":
		start := time.Now()
		time.Sleep(time.Duration(ev.MS) * time.Millisecond)
		host, _ := os.Hostname()
		return map[string]any{"start_ns": start.UnixNano(), "end_ns": time.Now().UnixNano(), "hostname": host}, nil
	case "count":
		f.count++
		host, _ := os.Hostname()
		return map[string]any{"count": f.count, "hostname": host, "pid": os.Getpid()}, nil
	}
	return nil, fmt.Errorf("unknown op %q", ev.Op)
}

// alloc allocates mb MiB and writes to every page so that it is really resident.
func alloc(mb int) int {
	chunks := make([][]byte, 0, mb)
	for range mb {
		c := make([]byte, 1<<20)
		for i := 0; i < len(c); i += 4096 {
			c[i] = 1
		}
		chunks = append(chunks, c)
	}
	return len(chunks)
}

// forkbomb starts sleeping copies of this program until the kernel refuses, then kills and
// reaps them so the environment is usable again.
func forkbomb() map[string]any {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	var procs []*exec.Cmd
	var spawnErr error
	for len(procs) < maxSpawn {
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), childEnv+"=1")
		if spawnErr = cmd.Start(); spawnErr != nil {
			break
		}
		procs = append(procs, cmd)
	}
	for _, p := range procs {
		_ = p.Process.Kill()
		_ = p.Wait()
	}
	out := map[string]any{"spawned": len(procs)}
	if spawnErr != nil {
		out["error"] = spawnErr.Error()
	}
	return out
}
