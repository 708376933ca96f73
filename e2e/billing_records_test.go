package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/contract/tenant"
)

// billingRowsTimeout bounds the wait for the usage writer to store every record.
const billingRowsTimeout = 2 * time.Minute

// billedFn is a function of the billing tests, deployed by the account of its server client.
type billedFn struct {
	l        *lambdockd
	account  string
	name     string
	memoryMB int
}

// billedCall is one invocation the test made and what it expects of its usage row.
type billedCall struct {
	fn         *billedFn
	op         string // echo, error or timeout
	requestID  string
	report     reportLine
	wantStatus string
}

// reportLine is what an invocation's REPORT line says.
type reportLine struct {
	durationUs                int64 // from "Duration: 1.23 ms"
	billedMs, memoryMB, maxMB int64
	initUs                    int64 // 0: no Init Duration
}

var (
	reportRE = regexp.MustCompile(`REPORT RequestId: (\S+)\tDuration: ([0-9.]+) ms\tBilled Duration: (\d+) ms\t` +
		`Memory Size: (\d+) MB\tMax Memory Used: (\d+) MB\t(?:Init Duration: ([0-9.]+) ms\t)?`)
)

// parseReport finds the REPORT line of requestID in a base64 log tail (X-Amz-Log-Result).
func parseReport(tail64, requestID string) (reportLine, error) {
	tail, err := base64.StdEncoding.DecodeString(tail64)
	if err != nil {
		return reportLine{}, err
	}
	m := reportRE.FindSubmatch(tail)
	if m == nil || string(m[1]) != requestID {
		return reportLine{}, fmt.Errorf("no REPORT line of %s in %q", requestID, tail)
	}
	us := func(b []byte) int64 { // two decimals of a millisecond: 10 µs resolution
		if len(b) == 0 {
			return 0
		}
		f, _ := strconv.ParseFloat(string(b), 64)
		return int64(f*1000 + 0.5)
	}
	n := func(b []byte) int64 { v, _ := strconv.ParseInt(string(b), 10, 64); return v }
	return reportLine{durationUs: us(m[2]), billedMs: n(m[3]), memoryMB: n(m[4]), maxMB: n(m[5]), initUs: us(m[6])}, nil
}

// invocationRow is one row of the invocations table, as the test reads it.
type invocationRow struct {
	requestID, account, function, status, invocationType, qualifier, architecture string
	attempt, memoryMB, maxMB, ephemeralMB                                         int64
	durationUs, initUs, billedMs, mbMs, storageMBms                               int64
	cold                                                                          bool
	start                                                                         time.Time
}

// invocationRows reads every row of the invocations table.
func invocationRows(ctx context.Context, db *pgxpool.Pool) ([]invocationRow, error) {
	rs, err := db.Query(ctx, `SELECT request_id, account_id, function_name, status, invocation_type, qualifier,
		architecture, attempt, memory_mb, max_memory_used_mb, ephemeral_mb, duration_us, init_duration_us,
		billed_duration_ms, mb_ms, storage_mb_ms, cold, start_time FROM invocations`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []invocationRow
	for rs.Next() {
		var r invocationRow
		if err := rs.Scan(&r.requestID, &r.account, &r.function, &r.status, &r.invocationType, &r.qualifier,
			&r.architecture, &r.attempt, &r.memoryMB, &r.maxMB, &r.ephemeralMB, &r.durationUs, &r.initUs, &r.billedMs,
			&r.mbMs, &r.storageMBms, &r.cold, &r.start); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// waitRows waits until the invocations table holds want rows, and returns them. It returns as
// soon as there are at least want: a late duplicate cannot be missed that way, because the
// primary key (request id, attempt) makes a second row of the same attempt impossible.
func waitRows(t *testing.T, db *pgxpool.Pool, want int) []invocationRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), billingRowsTimeout)
	defer cancel()
	var rows []invocationRow
	eventuallyFor(t, billingRowsTimeout, func() string {
		var n int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM invocations`).Scan(&n); err != nil {
			return err.Error()
		}
		if n < want {
			return fmt.Sprintf("%d invocation rows, want %d", n, want)
		}
		return ""
	})
	rows, err := invocationRows(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// openDB connects to l's database.
func openDB(t *testing.T, l *lambdockd) *pgxpool.Pool {
	t.Helper()
	db, err := pgxpool.New(context.Background(), l.srv.DatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// otherAccount creates an account and an owner key of it, and returns clients of l that sign
// with that key (the server is l's: stopping it is l's business).
func otherAccount(t *testing.T, l *lambdockd, name string) (*lambdockd, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	a, err := l.client.CreateAccount(ctx, name, nil)
	if err != nil {
		t.Fatalf("create account: %v", err)
	}
	k, err := l.client.CreateKey(ctx, lambdaapi.CreateKeyInput{AccountID: a.AccountID, Role: string(tenant.RoleOwner)})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	creds := lambdaclient.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey}
	return &lambdockd{srv: l.srv, url: l.url, client: lambdaclient.New(l.url, lambdaclient.WithCredentials(creds, "")),
		http: &http.Client{Transport: &lambdaclient.SigningTransport{Credentials: creds}}}, a.AccountID
}

// call invokes c's function synchronously with its log tail and fills in its request id and
// REPORT line; "" or why it failed.
func (c *billedCall) call() string {
	event := map[string]string{"echo": `{"op":"echo"}`, "error": `{"op":"error"}`,
		"timeout": `{"op":"sleep","ms":1500}`}[c.op]
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	r := postWith(ctx, c.fn.l.http, c.fn.l.url+"/2015-03-31/functions/"+c.fn.name+"/invocations", event,
		map[string]string{lambdaapi.HeaderLogType: "Tail"})
	if r.status != http.StatusOK || (r.header.Get(lambdaapi.HeaderFunctionError) != "") != (c.op != "echo") {
		return fmt.Sprintf("%s of %s/%s: %v", c.op, c.fn.account, c.fn.name, r)
	}
	c.requestID = r.header.Get(lambdaapi.HeaderRequestID)
	rep, err := parseReport(r.header.Get(lambdaapi.HeaderLogResult), c.requestID)
	if err != nil {
		return err.Error()
	}
	c.report = rep
	return ""
}

// checkRow checks one usage row against the call that made it: the billed numbers computed
// independently of the platform's code (ceil of µs to ms, MB/1024 × s as exact fractions) and
// equal to the REPORT line the caller saw.
func checkRow(r invocationRow, c *billedCall) error {
	billed := max(1, (r.durationUs+r.initUs+999)/1000) // ceil((duration_us + init_duration_us) / 1000)
	gbs := new(big.Rat).Mul(big.NewRat(int64(c.fn.memoryMB), 1024), big.NewRat(billed, 1000))
	got := big.NewRat(r.mbMs, 1_024_000)
	switch {
	case r.account != c.fn.account || r.function != c.fn.name || r.attempt != 1:
		return fmt.Errorf("row of %s/%s attempt %d, want %s/%s attempt 1", r.account, r.function, r.attempt,
			c.fn.account, c.fn.name)
	case r.memoryMB != int64(c.fn.memoryMB) || r.billedMs != billed || got.Cmp(gbs) != 0:
		return fmt.Errorf("memory %d MB, billed %d ms, %s GB-s; want %d MB, %d ms, %s GB-s", r.memoryMB, r.billedMs,
			got.FloatString(9), c.fn.memoryMB, billed, gbs.FloatString(9))
	case r.billedMs != c.report.billedMs || r.maxMB != c.report.maxMB || c.report.memoryMB != r.memoryMB:
		return fmt.Errorf("row billed %d ms, max memory %d MB; REPORT line %+v", r.billedMs, r.maxMB, c.report)
	case abs(r.durationUs-c.report.durationUs) > 10 || abs(r.initUs-c.report.initUs) > 10:
		return fmt.Errorf("row duration %d µs, init %d µs; REPORT line %+v", r.durationUs, r.initUs, c.report)
	case r.status != c.wantStatus || r.invocationType != "sync" || r.qualifier != "" || r.architecture != "x86_64" ||
		r.ephemeralMB != 512 || r.storageMBms != 0:
		return fmt.Errorf("status %s, type %s, qualifier %q, architecture %s, ephemeral %d MB (%d MB-ms); want %s, "+
			"sync, unqualified, x86_64, 512 MB (0)", r.status, r.invocationType, r.qualifier, r.architecture, r.ephemeralMB,
			r.storageMBms, c.wantStatus)
	}
	return nil
}

func abs(v int64) int64 { return max(v, -v) }

// usageSums is one aggregate row's measures.
type usageSums struct{ requests, errors, throttles, coldStarts, durationUs, billedMs, mbMs, storageMBms int64 }

// usageKey is an aggregate row's key: account, hour or day (as text), function, architecture.
type usageKey struct{ account, period, function, architecture string }

// sumRows is the aggregates of rows per period (period of a start time).
func sumRows(rows []invocationRow, period func(time.Time) string) map[usageKey]usageSums {
	out := map[usageKey]usageSums{}
	for _, r := range rows {
		k := usageKey{r.account, period(r.start), r.function, r.architecture}
		s := out[k]
		s.requests++
		if r.status != "success" {
			s.errors++
		}
		if r.cold {
			s.coldStarts++
		}
		s.durationUs += r.durationUs
		s.billedMs += r.billedMs
		s.mbMs += r.mbMs
		s.storageMBms += r.storageMBms
		out[k] = s
	}
	return out
}

// aggregates reads usage_hourly or usage_daily.
func aggregates(ctx context.Context, db *pgxpool.Pool, table, period string) (map[usageKey]usageSums, error) {
	rs, err := db.Query(ctx, fmt.Sprintf(`SELECT account_id, to_char(%s, 'YYYY-MM-DD"T"HH24'), function_name,
		architecture, requests, errors, throttles, cold_starts, duration_us, billed_ms, mb_ms, storage_mb_ms FROM %s`,
		period, table))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[usageKey]usageSums{}
	for rs.Next() {
		var k usageKey
		var s usageSums
		if err := rs.Scan(&k.account, &k.period, &k.function, &k.architecture, &s.requests, &s.errors, &s.throttles,
			&s.coldStarts, &s.durationUs, &s.billedMs, &s.mbMs, &s.storageMBms); err != nil {
			return nil, err
		}
		out[k] = s
	}
	return out, rs.Err()
}

// TestBillingRecords is must-show 1 of the billing issue: 1,000 invocations (some function
// errors and timeouts) of functions with 128, 512 and 1,769 MB in two accounts give exactly
// 1,000 usage rows; each row's GB-seconds equal MB/1024 × ceil(ms)/1000 computed here, and its
// billed duration and peak memory equal the REPORT line its caller saw (cold and warm); the
// hourly and daily aggregates equal the sums of the rows; each account's rows are only its
// functions.
func TestBillingRecords(t *testing.T) {
	need(t)
	l := start(t, newConfig(dataDir(t), "e2e-bill-"+randomID()))
	db := openDB(t, l)
	other, otherID := otherAccount(t, l, "billing-"+randomID())
	admin := tenant.AdminAccountID
	fns := []*billedFn{
		{l, admin, "bill-128", 128}, {l, admin, "bill-512", 512}, {l, admin, "bill-1769", 1769},
		// The same name in the other account is another function; and one name only it has.
		{other, otherID, "bill-128", 128}, {other, otherID, "bill-1769", 1769}, {other, otherID, "bill-other-512", 512},
	}
	for _, f := range fns {
		timeout := 3
		if f.name == "bill-other-512" {
			timeout = 1 // its "timeout" calls sleep 1.5 s
		}
		f.l.deploy(t, f.name, f.memoryMB, timeout)
	}

	const total, workers = 1000, 12
	calls := make([]*billedCall, total)
	for i := range calls {
		c := &billedCall{fn: fns[i%len(fns)], op: "echo", wantStatus: "success"}
		switch {
		case i%len(fns) == 5 && i/len(fns)%40 == 10: // 4 timeouts of bill-other-512 (1 s timeout)
			c.op, c.wantStatus = "timeout", "timeout"
		case i%50 == 7: // 20 function errors
			c.op, c.wantStatus = "error", "error"
		}
		calls[i] = c
	}
	begin := time.Now()
	jobs := make(chan *billedCall)
	failures := make(chan string, total)
	var run sync.WaitGroup
	for range workers {
		run.Go(func() {
			for c := range jobs {
				if why := c.call(); why != "" {
					failures <- why
				}
			}
		})
	}
	for _, c := range calls {
		jobs <- c
	}
	close(jobs)
	run.Wait()
	close(failures)
	for why := range failures {
		t.Error(why)
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d invocations with %d workers in %s", total, workers, time.Since(begin).Round(time.Millisecond))

	rows := waitRows(t, db, total)
	if len(rows) != total {
		t.Fatalf("%d invocation rows, want exactly %d", len(rows), total)
	}
	byID := map[string]*billedCall{}
	for _, c := range calls {
		byID[c.requestID] = c
	}
	cold, inits := 0, 0
	perFunction := map[string]int{}
	for _, r := range rows {
		c, ok := byID[r.requestID]
		if !ok {
			t.Errorf("row %s is no invocation of the test", r.requestID)
			continue
		}
		delete(byID, r.requestID)
		if err := checkRow(r, c); err != nil {
			t.Errorf("%s (%s of %s/%s): %v", r.requestID, c.op, c.fn.account, c.fn.name, err)
		}
		if r.cold {
			cold++
		}
		if r.initUs > 0 {
			inits++
		}
		perFunction[r.account+"/"+r.function]++
	}
	if len(byID) > 0 {
		t.Errorf("%d invocations without a row", len(byID))
	}
	if cold == 0 || inits == 0 {
		t.Errorf("%d cold rows, %d with an init duration: the REPORT check saw no cold start", cold, inits)
	}

	// Each account's rows are only its functions, as many as it invoked.
	want := map[string]int{}
	for _, c := range calls {
		want[c.fn.account+"/"+c.fn.name]++
	}
	if !maps.Equal(perFunction, want) {
		t.Errorf("rows per account/function %v, want %v", perFunction, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	for _, account := range []string{admin, otherID} {
		var names []string
		rs, err := db.Query(ctx, `SELECT DISTINCT function_name FROM invocations WHERE account_id = $1 ORDER BY 1`, account)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var n string
			_ = rs.Scan(&n)
			names = append(names, n)
		}
		rs.Close()
		var wantNames []string
		for _, f := range fns {
			if f.account == account {
				wantNames = append(wantNames, f.name)
			}
		}
		slices.Sort(wantNames)
		if !slices.Equal(names, wantNames) {
			t.Errorf("account %s has rows of %v, want %v", account, names, wantNames)
		}
	}

	// Each account's usage report (the API, as the account's own key) names only its functions,
	// with the requests it made; another account's report is refused.
	for _, h := range []*lambdockd{l, other} {
		account := admin
		if h == other {
			account = otherID
		}
		report, err := h.client.Usage(ctx, lambdaclient.UsageInput{AccountID: account, By: "function",
			From: begin.Add(-time.Hour), To: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatalf("usage report of %s: %v", account, err)
		}
		got := map[string]int{}
		for _, b := range report.Buckets {
			got[account+"/"+b.FunctionName] = int(b.Requests)
		}
		wantReport := map[string]int{}
		for k, n := range want {
			if strings.HasPrefix(k, account+"/") {
				wantReport[k] = n
			}
		}
		if !maps.Equal(got, wantReport) {
			t.Errorf("usage report of %s by function: %v, want %v", account, got, wantReport)
		}
	}
	if _, err := other.client.Usage(ctx, lambdaclient.UsageInput{AccountID: admin}); err == nil ||
		!strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("the other account's report of the admin account: %v, want AccessDeniedException", err)
	}

	// The aggregates are the sums of the rows.
	hourly, err := aggregates(ctx, db, "usage_hourly", "hour AT TIME ZONE 'UTC'")
	if err != nil {
		t.Fatal(err)
	}
	if wantHourly := sumRows(rows, func(t time.Time) string { return t.UTC().Format("2006-01-02T15") }); !maps.Equal(hourly, wantHourly) {
		t.Errorf("usage_hourly %v\nsums of the rows %v", hourly, wantHourly)
	}
	daily, err := aggregates(ctx, db, "usage_daily", "day")
	if err != nil {
		t.Fatal(err)
	}
	if wantDaily := sumRows(rows, func(t time.Time) string { return t.UTC().Format("2006-01-02") + "T00" }); !maps.Equal(daily, wantDaily) {
		t.Errorf("usage_daily %v\nsums of the rows %v", daily, wantDaily)
	}
}

// TestBillingRecordOrigins checks the usage rows of every way an invocation comes and of the
// attempts that ran without succeeding: a qualified Invoke (sync, its qualifier), an Event
// (async), a function URL (url), a streamed function URL response (url; one that timed out in
// the middle of its stream is still billed), and a cold start whose init failed (billed init +
// invoke, its REPORT line equal to its row).
func TestBillingRecordOrigins(t *testing.T) {
	need(t)
	l := start(t, newConfig(dataDir(t), "e2e-origin-"+randomID()))
	db := openDB(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, fn := range []string{"orig-sync", "orig-async", "orig-url", "orig-stream"} {
		l.deploy(t, fn, 256, 3)
	}
	initFailure := deployPython(t, l, "importerror", "python3.13")
	url, err := l.client.CreateFunctionURL(ctx, "orig-url", &lambdaapi.FunctionURLConfigInput{AuthType: lambdaapi.AuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	streamURL, err := l.client.CreateFunctionURL(ctx, "orig-stream", &lambdaapi.FunctionURLConfigInput{
		AuthType: lambdaapi.AuthTypeNone, InvokeMode: lambdaapi.InvokeModeResponseStream})
	if err != nil {
		t.Fatal(err)
	}

	r := postWith(ctx, l.http, l.url+"/2015-03-31/functions/orig-sync/invocations?Qualifier=$LATEST", `{"op":"echo"}`, nil)
	if r.status != http.StatusOK {
		t.Fatalf("qualified invoke: %v", r)
	}
	if r := l.invokeWith(t, "orig-async", `{"op":"echo"}`, map[string]string{lambdaapi.HeaderInvocationType: "Event"}); r.status != http.StatusAccepted {
		t.Fatalf("Event invoke: %v", r)
	}
	get := func(u string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body) // a stream aborted by the timeout ends in an error
		resp.Body.Close()
	}
	get(url.FunctionURL)
	get(streamURL.FunctionURL + "stream?chunks=one,two")
	get(streamURL.FunctionURL + "stream?chunks=first&hold=1") // times out after its first chunk
	reports := map[string]reportLine{}
	for range 2 { // a failed init runs again on the next invoke
		r := l.invokeWith(t, initFailure, `{}`, map[string]string{lambdaapi.HeaderLogType: "Tail"})
		if r.header.Get(lambdaapi.HeaderFunctionError) == "" {
			t.Fatalf("invoke of a function whose init fails: %v", r)
		}
		id := r.header.Get(lambdaapi.HeaderRequestID)
		rep, err := parseReport(r.header.Get(lambdaapi.HeaderLogResult), id)
		if err != nil {
			t.Fatal(err)
		}
		reports[id] = rep
	}

	rows := waitRows(t, db, 7)
	byFunction := map[string][]invocationRow{}
	for _, r := range rows {
		byFunction[r.function] = append(byFunction[r.function], r)
	}
	one := func(fn string) invocationRow {
		t.Helper()
		if len(byFunction[fn]) != 1 {
			t.Fatalf("%d rows of %s, want 1: %+v", len(byFunction[fn]), fn, byFunction[fn])
		}
		return byFunction[fn][0]
	}
	if r := one("orig-sync"); r.invocationType != "sync" || r.qualifier != "$LATEST" || r.status != "success" {
		t.Errorf("qualified Invoke: %+v", r)
	}
	if r := one("orig-async"); r.invocationType != "async" || r.attempt != 1 || r.status != "success" {
		t.Errorf("Event invoke: %+v", r)
	}
	if r := one("orig-url"); r.invocationType != "url" || r.status != "success" {
		t.Errorf("function URL: %+v", r)
	}
	streams := byFunction["orig-stream"]
	slices.SortFunc(streams, func(a, b invocationRow) int { return int(a.billedMs - b.billedMs) })
	if len(streams) != 2 || streams[0].invocationType != "url" || streams[0].status != "success" ||
		streams[1].invocationType != "url" || (streams[1].status != "timeout" && streams[1].status != "crash") ||
		streams[1].billedMs < 3000 {
		t.Errorf("streamed function URL responses (one timed out mid-stream): %+v", streams)
	}
	for _, r := range streams {
		t.Logf("streamed response: status %s, billed %d ms", r.status, r.billedMs)
	}
	inits := byFunction[initFailure]
	if len(inits) != 2 {
		t.Fatalf("%d rows of the function whose init fails, want 2: %+v", len(inits), inits)
	}
	for _, r := range inits {
		t.Logf("failed init: status %s, init %d µs + %d µs, billed %d ms", r.status, r.initUs, r.durationUs, r.billedMs)
		rep, ok := reports[r.requestID]
		switch {
		case !ok:
			t.Errorf("row %+v is no invocation of the test", r)
		case r.initUs <= 0 || r.status == "success" || r.billedMs != max(1, (r.durationUs+r.initUs+999)/1000) ||
			r.mbMs != r.memoryMB*r.billedMs:
			t.Errorf("failed init: row %+v; want its init billed with its invoke", r)
		case rep.billedMs != r.billedMs || rep.maxMB != r.maxMB || abs(rep.initUs-r.initUs) > 10:
			t.Errorf("failed init: row %+v, REPORT line %+v", r, rep)
		}
	}
}
