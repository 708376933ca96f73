package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lambdock/lambdock/client/cli"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
	"github.com/lambdock/lambdock/invoker/sandbox"
)

// versionsMemoryMB is the memory of the versions tests' functions: small, as the weighted test
// runs a few environments of two versions at once.
const versionsMemoryMB = 128

// TestVersionsAndAliases runs versions and aliases on a real lambdockd with real containers,
// through the HTTP API: versions keep the code they were published with while $LATEST moves on,
// an alias runs its version, a weighted alias splits 2,000 invocations by its weight (counted by
// X-Amz-Executed-Version and by what the code answers), and an asynchronous invocation of an
// alias runs its version.
func TestVersionsAndAliases(t *testing.T) {
	need(t)
	story := t // the server outlives each subtest
	dir := dataDir(t)
	l := start(t, newConfig(dir, "e2e-versions-"+randomID()))
	const fn = "e2e-versions"
	var published [3]lambdaapi.FunctionConfiguration // by version; [0] unused

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"publish v1, change the code, publish v2; prod → v1 runs v1's code, $LATEST the newest", func(t *testing.T) {
			l.deployCode(t, fn, "one")
			published[1] = l.publish(t, fn, "1")
			l.deployCode(t, fn, "two")
			published[2] = l.publish(t, fn, "2")
			if published[1].CodeSha256 == published[2].CodeSha256 {
				t.Fatalf("versions 1 and 2 have the same code %s", published[1].CodeSha256)
			}
			l.apiJSON(t, http.MethodPost, "/2015-03-31/functions/"+fn+"/aliases",
				`{"Name":"prod","FunctionVersion":"1"}`, http.StatusCreated, nil)
			l.deployCode(t, fn, "three") // UpdateFunctionCode: $LATEST only

			for _, c := range []struct{ name, version, code string }{
				{fn + ":prod", "1", "one"},
				{fn, "$LATEST", "three"},
				{fn + ":2", "2", "two"},
				{fn + ":1", "1", "one"},
			} {
				if version, code := l.ranCode(t, c.name); version != c.version || code != c.code {
					t.Errorf("%s ran version %s (code %q), want %s (code %q)", c.name, version, code, c.version, c.code)
				}
			}
			r := l.invoke(t, fn+":prod", `{"op":"env"}`)
			var env map[string]string
			r.decode(t, &env)
			if env["AWS_LAMBDA_FUNCTION_VERSION"] != "1" {
				t.Errorf("prod's environment has AWS_LAMBDA_FUNCTION_VERSION %q, want 1", env["AWS_LAMBDA_FUNCTION_VERSION"])
			}
			// Environments are never shared between versions.
			for _, v := range []string{"1", "2", "$LATEST"} {
				if n := len(containers(t, sandbox.LabelFunction+"="+fn, sandbox.LabelVersion+"="+v)); n < 1 {
					t.Errorf("no container of version %s", v)
				}
			}
		}},
		{"UpdateFunctionCode never changes a published version", func(t *testing.T) {
			l.deployCode(t, fn, "four")
			var v1 lambdaapi.FunctionConfiguration
			l.apiJSON(t, http.MethodGet, "/2015-03-31/functions/"+fn+"/configuration?Qualifier=1", "", http.StatusOK, &v1)
			if v1.CodeSha256 != published[1].CodeSha256 || v1.Version != "1" || v1.RevisionID != published[1].RevisionID {
				t.Errorf("version 1 after code updates: code %s rev %s, published with %s rev %s",
					v1.CodeSha256, v1.RevisionID, published[1].CodeSha256, published[1].RevisionID)
			}
			if version, code := l.ranCode(t, fn+":1"); version != "1" || code != "one" {
				t.Errorf("version 1 ran %s with code %q, want one", version, code)
			}
			if version, code := l.ranCode(t, fn); version != "$LATEST" || code != "four" {
				t.Errorf("$LATEST ran %s with code %q, want four", version, code)
			}
		}},
		{"prod → v1 with 20 % on v2: 2,000 invocations, v2's share 20 % ± 3 %", func(t *testing.T) {
			l.apiJSON(t, http.MethodPut, "/2015-03-31/functions/"+fn+"/aliases/prod",
				`{"FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":0.2}}}`, http.StatusOK, nil)
			byHeader, byCode := l.split(t, fn+":prod", 2000, 4)
			t.Logf("executed versions %v, codes %v", byHeader, byCode)
			if byHeader["1"]+byHeader["2"] != 2000 || byCode["one"]+byCode["two"] != 2000 {
				t.Fatalf("executed versions %v and codes %v, want only versions 1 and 2", byHeader, byCode)
			}
			if byHeader["2"] != byCode["two"] {
				t.Errorf("X-Amz-Executed-Version says version 2 ran %d times, its code answered %d times", byHeader["2"], byCode["two"])
			}
			if share := float64(byCode["two"]) / 2000; math.Abs(share-0.2) > 0.03 {
				t.Errorf("version 2 ran %.1f %% of the invocations, want 20 %% ± 3 %%", share*100)
			}
		}},
		{"an asynchronous invocation of an alias runs its version", func(t *testing.T) {
			l.apiJSON(t, http.MethodPut, "/2015-03-31/functions/"+fn+"/aliases/prod",
				`{"FunctionVersion":"2","RoutingConfig":{"AdditionalVersionWeights":{}}}`, http.StatusOK, nil)
			r := l.invokeWith(t, fn+":prod", `{"op":"echo"}`, map[string]string{lambdaapi.HeaderInvocationType: lambdaapi.InvocationEvent})
			if r.status != http.StatusAccepted {
				t.Fatalf("Event invoke: %v", r)
			}
			id := r.header.Get(lambdaapi.HeaderRequestID)
			db := openDB(story, l)
			eventuallyFor(t, billingRowsTimeout, func() string {
				var version, qualifier, status string
				err := db.QueryRow(context.Background(), `SELECT version, qualifier, status FROM invocations
					WHERE request_id = $1`, id).Scan(&version, &qualifier, &status)
				switch {
				case err != nil:
					return fmt.Sprintf("usage row of %s: %v", id, err)
				case version != "2" || qualifier != "prod":
					t.Fatalf("the event ran version %s through %q (status %s), want 2 through prod", version, qualifier, status)
				}
				return ""
			})
		}},
	}
	for _, s := range steps {
		if !story.Run(s.name, s.run) {
			return // later steps build on this one
		}
	}
}

// deployCode deploys the test function as name with a code.txt holding code: the package (and
// its CodeSha256) differs by code, and the function's {"name":…} answer reports it.
func (l *lambdockd) deployCode(t testing.TB, name, code string) {
	t.Helper()
	dir := t.TempDir()
	if err := lambdockdtest.WriteProject(dir, shared.bootstrap, name, versionsMemoryMB, 10); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "code.txt"), []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	project, err := os.OpenFile(filepath.Join(dir, cli.ProjectFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = project.WriteString("include: [code.txt]\n")
	if cerr := project.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	l.deployDir(t, dir)
}

// publish publishes name's $LATEST (PublishVersion, 201) and checks the version number.
func (l *lambdockd) publish(t testing.TB, name, want string) lambdaapi.FunctionConfiguration {
	t.Helper()
	var v lambdaapi.FunctionConfiguration
	l.apiJSON(t, http.MethodPost, "/2015-03-31/functions/"+name+"/versions", `{}`, http.StatusCreated, &v)
	if v.Version != want {
		t.Fatalf("published version %q, want %s", v.Version, want)
	}
	return v
}

// apiJSON sends a signed API request with a JSON body ("" for none), checks the status and
// decodes the answer into out (unless nil).
func (l *lambdockd) apiJSON(t testing.TB, method, path, body string, status int, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, l.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := l.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, status)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// ranCode invokes name (a qualified name) with {"name":…} and returns the version that ran (as
// X-Amz-Executed-Version says) and the code its package holds.
func (l *lambdockd) ranCode(t testing.TB, name string) (version, code string) {
	t.Helper()
	r := l.invoke(t, name, `{"name":"versions"}`)
	if r.status != http.StatusOK || r.header.Get(lambdaapi.HeaderFunctionError) != "" {
		t.Fatalf("invoke %s: %v", name, r)
	}
	var out struct{ Code string }
	r.decode(t, &out)
	return r.header.Get(lambdaapi.HeaderExecutedVer), out.Code
}

// split invokes name n times from workers goroutines and counts the executed versions (by
// X-Amz-Executed-Version) and the codes that answered.
func (l *lambdockd) split(t testing.TB, name string, n, workers int) (byHeader, byCode map[string]int) {
	t.Helper()
	byHeader, byCode = map[string]int{}, map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	calls := make(chan struct{}, n)
	for range n {
		calls <- struct{}{}
	}
	close(calls)
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range calls {
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				r := post(ctx, l.http, l.url+"/2015-03-31/functions/"+name+"/invocations", `{"name":"split"}`)
				cancel()
				var out struct{ Code string }
				if r.status != http.StatusOK || json.Unmarshal(r.body, &out) != nil {
					errs <- fmt.Errorf("invoke %s: %v", name, r)
					return
				}
				mu.Lock()
				byHeader[r.header.Get(lambdaapi.HeaderExecutedVer)]++
				byCode[out.Code]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return byHeader, byCode
}
