package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/lambdock/lambdock/gateway/console"
	"github.com/lambdock/lambdock/internal/testsupport/lambdockdtest"
	"github.com/lambdock/lambdock/internal/testsupport/testenv"
)

// EnvConsoleShots is a directory where TestConsole writes its screenshots (default: the test's
// temporary directory). `LAMBDOCK_CONSOLE_SHOTS=$PWD/docs/console` refreshes the README's.
const EnvConsoleShots = "LAMBDOCK_CONSOLE_SHOTS"

// consoleTimeout bounds the whole browser session; usageTimeout the wait for an invocation's
// usage record to reach the stats API.
const (
	consoleTimeout = 5 * time.Minute
	usageTimeout   = 2 * time.Minute
)

// chromium is the path of a Chromium (or Chrome) binary, or "".
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestConsole drives the web console in headless Chromium against a real lambdockd: sign in with
// the admin key, list the functions, open one, invoke it from the page and see its result and its
// log line, see the invocation in the stats chart, open the account's usage, and check that a
// function's output that looks like markup is shown as text (no element, no script).
func TestConsole(t *testing.T) {
	need(t)
	bin := chromium()
	if bin == "" {
		t.Skip("no chromium binary (apt-get install chromium): the console test needs a browser")
	}
	shots := os.Getenv(EnvConsoleShots)
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	// The function: prints what the event says and returns its output.
	fnDir := t.TempDir()
	buildCtx, cancelBuild := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancelBuild()
	if err := testenv.GoBuild(buildCtx, filepath.Join(fnDir, "bootstrap.bin"), "./e2e/testdata/consolefn",
		"-tags", "lambda.norpc"); err != nil {
		t.Fatal(err)
	}
	dir := dataDir(t)
	l := start(t, newConfig(dir, "inv-"+randomID()))
	name := "console-" + randomID()
	proj := t.TempDir()
	if err := lambdockdtest.WriteProject(proj, filepath.Join(fnDir, "bootstrap.bin"), name, 128, 10); err != nil {
		t.Fatal(err)
	}
	l.deployDir(t, proj)
	creds, err := lambdockdtest.AdminCredentials(dir)
	if err != nil {
		t.Fatal(err)
	}

	consoleURL := l.srv.ConsoleURL()
	if consoleURL == "" {
		t.Fatal("lambdockd serves no console (its address is the gateway's next port by default)")
	}
	checkConsoleHeaders(t, consoleURL)
	checkConsoleOrigin(t, l.url, consoleURL, name)

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
			chromedp.WindowSize(1280, 900))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	var dialogs atomic.Int32
	if err := chromedp.Listen(browser, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browser, consoleTimeout)
	defer cancel()
	shoot := func(page string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
		if err != nil {
			t.Fatalf("screenshot %s: %v", page, err)
		}
		if err := os.WriteFile(filepath.Join(shots, page+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// waitFor polls the page until the JavaScript condition holds.
	waitFor := func(what, cond string, bound time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(bound))); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}

	// Sign in (through /console, which redirects to /console/).
	step("open the console", chromedp.Navigate(consoleURL+"/console"), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	shoot("signin")
	step("sign in", chromedp.SendKeys(chromedp.CSS("#access-key"), creds.AccessKeyID),
		chromedp.SendKeys(chromedp.CSS("#secret-key"), creds.SecretAccessKey),
		chromedp.Click(chromedp.CSS("#signin-btn")))
	link := fmt.Sprintf(`#fn-table a[href="#/fn/%s"]`, name)
	waitFor("the function in the list", fmt.Sprintf(`!!document.querySelector(%q)`, link), callTimeout)
	if stored, err := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.getItem('lambdock.credentials') || ''`)); err != nil ||
		!strings.Contains(stored, creds.AccessKeyID) {
		t.Fatalf("the key is not in sessionStorage: %q, %v", stored, err)
	}
	if cookies, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`)); cookies != "" {
		t.Errorf("the console set cookies: %q", cookies)
	}

	// The pure-JavaScript SHA-256/HMAC (used where crypto.subtle is missing) agrees with the
	// RFC 4231 vector and with crypto.subtle on inputs of 0–300 bytes (across block boundaries).
	fallback, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		const m = await import('./sha256.js');
		const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
		const enc = new TextEncoder();
		if (hex(m.hmacSHA256(enc.encode('Jefe'), enc.encode('what do ya want for nothing?'))) !==
			'5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843') return 'hmac vector';
		for (let n = 0; n <= 300; n++) {
			const b = new Uint8Array(n).map((_, i) => (i * 31 + n) & 255);
			const want = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', b)));
			if (hex(m.sha256(b)) !== want) return 'sha256 of ' + n + ' bytes';
			const key = new Uint8Array(1 + n % 97).map((_, i) => (i * 7 + n) & 255);
			const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
			const mac = hex(new Uint8Array(await crypto.subtle.sign('HMAC', k, b)));
			if (hex(m.hmacSHA256(key, b)) !== mac) return 'hmac of ' + n + ' bytes';
		}
		return 'ok';
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || fallback != "ok" {
		t.Errorf("the JavaScript SHA-256 fallback: %q, %v", fallback, err)
	}

	// Open the function and invoke it from the page.
	step("open the function", chromedp.Click(chromedp.CSS(link)), chromedp.WaitVisible(chromedp.CSS("#invoke-btn")))
	if got := text("#fn-name"); got != name {
		t.Errorf("function page of %q, want %s", got, name)
	}
	marker := "console-e2e-line-" + randomID()
	invoke := func(print, output string) {
		t.Helper()
		ev, _ := json.Marshal(map[string]string{"print": print, "output": output}) // strings always encode
		step("invoke", chromedp.SetValue(chromedp.CSS("#invoke-payload"), string(ev)),
			chromedp.Click(chromedp.CSS("#invoke-btn")))
		waitFor("the invocation's log", fmt.Sprintf(`document.querySelector('#invoke-log').textContent.includes(%q)`,
			print), callTimeout)
	}
	invoke(marker, "hello from "+name)
	if got, want := text("#invoke-result"), `"hello from `+name+`"`; got != want {
		t.Errorf("result %q, want %q", got, want)
	}
	if log := text("#invoke-log"); !strings.Contains(log, "REPORT RequestId:") {
		t.Errorf("the log has no REPORT line: %q", log)
	}
	if st := text("#invoke-status"); !strings.Contains(st, "HTTP 200") {
		t.Errorf("status %q", st)
	}

	// The live log (the logs API followed as Server-Sent Events) shows the printed line too, where
	// the gateway has the logs API.
	waitFor("the live log to connect", `['live', 'unavailable'].some((s) =>
		document.querySelector('#live-status').textContent.startsWith(s))`, callTimeout)
	if st := text("#live-status"); strings.Contains(st, "UnknownOperation") {
		t.Logf("live log not checked: this gateway has no logs API (%s)", st)
	} else {
		waitFor("the printed line in the live log", fmt.Sprintf(
			`document.querySelector('#live-log').textContent.includes(%q)`, marker), usageTimeout)
	}

	// The chart shows the invocation once its usage record is stored: refresh until it does.
	deadline := time.Now().Add(usageTimeout)
	for {
		step("refresh the charts", chromedp.Click(chromedp.CSS("#charts-refresh")))
		total, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`(document.querySelector('#chart-invocations') || {getAttribute: () => '0'}).getAttribute('data-total')`))
		if err == nil && total != "0" && total != "" {
			if total != "1" {
				t.Errorf("the invocations chart counts %s, want 1", total)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the invocations chart still counts %q after %v (%v): %s", total, usageTimeout, err,
				text("#charts-status"))
		}
		time.Sleep(time.Second)
	}
	waitFor("the chart's bar", `document.querySelectorAll('#chart-invocations rect.bar').length === 1`, callTimeout)
	shoot("function")

	// A function whose output and log look like markup: shown as text, no element, no script.
	xss := `<img src=x onerror="alert('xss-` + marker + `')"><script>alert(1)</script>`
	invoke(xss, xss)
	if got := text("#invoke-result"); !strings.Contains(got, `<img src=x onerror=`) {
		t.Errorf("the markup is not shown as text: %q", got)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelectorAll('#main img, #main script, #invoke-result *, #invoke-log *').length`))
	if err != nil || n != 0 {
		t.Errorf("%d elements created from the function's output (%v)", n, err)
	}
	time.Sleep(500 * time.Millisecond) // an onerror would have fired by now
	if d := dialogs.Load(); d != 0 {
		t.Errorf("%d JavaScript dialogs opened", d)
	}

	// The functions list, with the last invoke filled in, and the account's usage.
	step("functions", chromedp.Navigate(consoleURL+"/console/#/"))
	waitFor("the last invoke", `[...document.querySelectorAll('#fn-table .last-invoke')].every(e => e.textContent !== '…')`,
		callTimeout)
	shoot("functions")
	step("account", chromedp.Click(chromedp.CSS("#nav-account")), chromedp.WaitVisible(chromedp.CSS("#usage-requests")))
	if got := text("#usage-requests"); !strings.Contains(got, "Requests") {
		t.Errorf("usage: %q", got)
	}
	shoot("account")

	// Sign out: the key is gone from the tab.
	step("sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	if stored, err := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.getItem('lambdock.credentials') || ''`)); err != nil ||
		stored != "" {
		t.Errorf("after sign-out sessionStorage holds %q (%v)", stored, err)
	}
}

// checkConsoleHeaders checks the console's redirect and security headers over plain HTTP.
func checkConsoleHeaders(t *testing.T, base string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		path, location, contentType string
		status                      int
	}{
		{"/console", "/console/", "", http.StatusMovedPermanently},
		{"/console/", "", "text/html", http.StatusOK},
		{"/console/app.js", "", "text/javascript", http.StatusOK},
		{"/console/config.json", "", "application/json", http.StatusOK},
		{"/console/nope.js", "", "", http.StatusNotFound},
	} {
		resp, err := c.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close() // only the headers are checked
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), tt.contentType) {
			t.Errorf("GET %s: %d, Location %q, Content-Type %q", tt.path, resp.StatusCode,
				resp.Header.Get("Location"), resp.Header.Get("Content-Type"))
		}
		for k, want := range map[string]string{"Content-Security-Policy": console.ContentSecurityPolicy,
			"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("GET %s: %s %q, want %q", tt.path, k, got, want)
			}
		}
	}
}

// checkConsoleOrigin checks that the console has an origin of its own, where no function URL is
// served (a tenant's page there could read the signed-in key): the gateway's /console redirects
// to it, and its /fn/ paths are 404.
func checkConsoleOrigin(t *testing.T, gatewayURL, consoleURL, name string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		url, location string
		status        int
	}{
		{gatewayURL + "/console", consoleURL + "/console/", http.StatusFound},
		{gatewayURL + "/console/app.js", consoleURL + "/console/", http.StatusFound},
		{consoleURL + "/fn/" + name + "/", "", http.StatusNotFound},
		{consoleURL + "/fn/" + name, "", http.StatusNotFound},
	} {
		resp, err := c.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close() // only the status and Location are checked
		if resp.StatusCode != tt.status || resp.Header.Get("Location") != tt.location {
			t.Errorf("GET %s: %d, Location %q; want %d, %q", tt.url, resp.StatusCode, resp.Header.Get("Location"),
				tt.status, tt.location)
		}
	}
}
