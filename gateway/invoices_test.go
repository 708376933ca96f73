package gateway_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/lambda/lambdaerr"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// dec is a decimal literal.
func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// refPrice is a price as the test writes it down, independently of billing.Price.
type refPrice struct {
	x86, arm, perMillion, storage, freeGBs decimal.Decimal
	freeRequests                           int64
}

// lambdaPrice is Lambda's us-east-1 price list and free tier (lambda-api.md §6).
var lambdaPrice = refPrice{x86: dec("0.0000166667"), arm: dec("0.0000133334"), perMillion: dec("0.20"),
	storage: dec("0.0000000309"), freeGBs: dec("400000"), freeRequests: 1_000_000}

// record is one usage record: memory MB × billed ms of compute, (ephemeral − 512)⁺ × billed ms of
// storage.
func record(account, fn, arch string, n int, start time.Time, memoryMB int, billedMs int64, ephemeralMB int) msg.Usage {
	return msg.Usage{RequestID: fmt.Sprintf("%s-%s-%d", account, fn, n), Attempt: 1, AccountID: account, Function: fn,
		Version: "$LATEST", InvokerID: "test", Start: start, DurationUs: billedMs*1000 - 300, BilledMs: billedMs,
		MemoryMB: memoryMB, MaxMemoryUsedMB: 60, EphemeralMB: ephemeralMB, Architecture: arch,
		Status: msg.UsageSuccess}
}

// gbSeconds is MB-ms as GB-seconds: MB/1024 × ms/1000.
func gbSeconds(mbMs int64) decimal.Decimal {
	return decimal.NewFromInt(mbMs).Div(decimal.NewFromInt(1024 * 1000))
}

// refLine is a line of the expected invoice.
type refLine struct {
	requests, mbMs, storageMBms int64
	compute, requestCost, sto   decimal.Decimal
	freeCompute, freeRequests   decimal.Decimal // the value of the free tier the line used
}

// refInvoice is the invoice computed by the test from the raw records: every record priced at
// the price in force at its start; the free tier of the month's first price consumed hour by
// hour (within an hour by function, then architecture), valued at that hour's price and credited
// to the line that used it; amounts rounded half-up to cents, line totals the sums of their
// rounded parts, a line's credit its rounded cost minus its rounded cost net of the free tier.
type refInvoice struct {
	lines              map[[2]string]*refLine
	gross, credit, due decimal.Decimal
	freeGBsUsed        decimal.Decimal
	freeRequestsUsed   int64
}

func expectInvoice(recs []msg.Usage, first refPrice, priceAt func(time.Time) refPrice) refInvoice {
	million := decimal.NewFromInt(1_000_000)
	ref := refInvoice{lines: map[[2]string]*refLine{}}
	type hourKey struct {
		hour      time.Time
		fn, arch  string
		mbMs, req int64
	}
	hours := map[[3]string]*hourKey{}
	for _, r := range recs {
		p := priceAt(r.Start)
		mb := int64(r.MemoryMB) * r.BilledMs
		smb := int64(max(0, r.EphemeralMB-512)) * r.BilledMs
		gbPrice := p.x86
		if r.Architecture == "arm64" {
			gbPrice = p.arm
		}
		k := [2]string{r.Function, r.Architecture}
		l := ref.lines[k]
		if l == nil {
			l = &refLine{}
			ref.lines[k] = l
		}
		l.requests++
		l.mbMs += mb
		l.storageMBms += smb
		l.compute = l.compute.Add(gbSeconds(mb).Mul(gbPrice))
		l.requestCost = l.requestCost.Add(p.perMillion.Div(million))
		l.sto = l.sto.Add(gbSeconds(smb).Mul(p.storage))
		h := r.Start.UTC().Truncate(time.Hour)
		hk := [3]string{h.Format(time.RFC3339), r.Function, r.Architecture}
		if hours[hk] == nil {
			hours[hk] = &hourKey{hour: h, fn: r.Function, arch: r.Architecture}
		}
		hours[hk].mbMs += mb
		hours[hk].req++
	}
	keys := make([][3]string, 0, len(hours))
	for k := range hours {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [3]string) int {
		return strings.Compare(a[0]+"\x00"+a[1]+"\x00"+a[2], b[0]+"\x00"+b[1]+"\x00"+b[2])
	})
	leftGBs, leftReq := first.freeGBs, first.freeRequests
	for _, k := range keys {
		h := hours[k]
		p := priceAt(h.hour)
		gbPrice := p.x86
		if h.arch == "arm64" {
			gbPrice = p.arm
		}
		l := ref.lines[[2]string{h.fn, h.arch}]
		use := decimal.Min(leftGBs, gbSeconds(h.mbMs))
		leftGBs = leftGBs.Sub(use)
		ref.freeGBsUsed = ref.freeGBsUsed.Add(use)
		l.freeCompute = l.freeCompute.Add(use.Mul(gbPrice))
		n := min(leftReq, h.req)
		leftReq -= n
		ref.freeRequestsUsed += n
		l.freeRequests = l.freeRequests.Add(decimal.NewFromInt(n).Mul(p.perMillion).Div(million))
	}
	for _, l := range ref.lines {
		ref.gross = ref.gross.Add(l.compute.Round(2)).Add(l.requestCost.Round(2)).Add(l.sto.Round(2))
		ref.credit = ref.credit.Add(l.compute.Round(2).Sub(l.compute.Sub(l.freeCompute).Round(2))).
			Add(l.requestCost.Round(2).Sub(l.requestCost.Sub(l.freeRequests).Round(2)))
	}
	ref.due = ref.gross.Sub(ref.credit)
	return ref
}

// checkInvoice compares an invoice with the expected one, and checks that it adds up as shown.
func checkInvoice(t *testing.T, name string, inv *billing.Invoice, ref refInvoice) {
	t.Helper()
	if len(inv.Lines) != len(ref.lines) {
		t.Errorf("%s: %d lines, want %d", name, len(inv.Lines), len(ref.lines))
	}
	sum := decimal.Zero
	for _, l := range inv.Lines {
		r := ref.lines[[2]string{l.Function, l.Architecture}]
		if r == nil {
			t.Errorf("%s: unexpected line %s/%s", name, l.Function, l.Architecture)
			continue
		}
		for _, c := range []struct {
			what      string
			got, want string
		}{
			{"requests", fmt.Sprint(l.Requests), fmt.Sprint(r.requests)},
			{"gb_seconds", l.GBSeconds.String(), gbSeconds(r.mbMs).StringFixed(6)},
			{"storage_gb_seconds", l.StorageGBSeconds.String(), gbSeconds(r.storageMBms).StringFixed(6)},
			{"compute_cost", l.ComputeCost.String(), r.compute.StringFixed(2)},
			{"request_cost", l.RequestCost.String(), r.requestCost.StringFixed(2)},
			{"storage_cost", l.StorageCost.String(), r.sto.StringFixed(2)},
			{"total", l.Total.String(), r.compute.Round(2).Add(r.requestCost.Round(2)).Add(r.sto.Round(2)).StringFixed(2)},
		} {
			if c.got != c.want {
				t.Errorf("%s: line %s/%s %s = %s, want %s", name, l.Function, l.Architecture, c.what, c.got, c.want)
			}
		}
		sum = sum.Add(l.Total.Decimal)
	}
	credits := decimal.Zero
	for _, c := range inv.Credits {
		credits = credits.Add(c.Amount.Decimal)
		switch c.Kind {
		case billing.CreditCompute:
			if !c.Quantity.Equal(ref.freeGBsUsed.Round(6)) {
				t.Errorf("%s: free GB-s used %s, want %s", name, c.Quantity, ref.freeGBsUsed)
			}
		case billing.CreditRequests:
			if c.Quantity.IntPart() != ref.freeRequestsUsed {
				t.Errorf("%s: free requests used %s, want %d", name, c.Quantity, ref.freeRequestsUsed)
			}
		}
	}
	for _, c := range []struct{ what, got, want string }{
		{"gross", inv.Gross.String(), ref.gross.StringFixed(2)},
		{"credit", inv.Credit.String(), ref.credit.StringFixed(2)},
		{"due", inv.Due.String(), ref.due.StringFixed(2)},
		{"sum of line totals", sum.StringFixed(2), inv.Gross.String()},
		{"sum of credit lines", credits.StringFixed(2), inv.Credit.String()},
		{"gross - credit", inv.Gross.Sub(inv.Credit.Decimal).StringFixed(2), inv.Due.String()},
	} {
		if c.got != c.want {
			t.Errorf("%s: %s = %s, want %s", name, c.what, c.got, c.want)
		}
	}
}

// An invoice's totals equal the price formula applied to the raw rows (computed here from the
// records, not from the aggregates): an account under the free tier, one over it (Lambda's
// default prices), and one whose override changes in the middle of the month. The month is the
// previous one, finished. The API refuses prices in the past (so that past invoices never
// change), so the mid-month change is written with store.AddPrice, the row the API would have
// written had it been added before that month.
func TestInvoiceTotalsMatchThePriceFormula(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	const idC = "333333333333"
	twoAccounts(t, env)
	if err := env.DB.CreateAccount(ctx, &tenant.Account{ID: idC, Name: "c", Concurrency: 10}); err != nil {
		t.Fatal(err)
	}
	month := billing.MonthStart(time.Now()).AddDate(0, -1, 0)
	span := month.AddDate(0, 1, 0).Sub(month)
	rng := rand.New(rand.NewPCG(11, 2026))
	at := func() time.Time {
		return month.Add(time.Duration(rng.Int64N(int64(span/time.Millisecond))) * time.Millisecond)
	}
	fns := []string{"api", "img-resize", "worker"}
	arches := []string{"x86_64", "arm64"}
	mems := []int{128, 512, 1769}

	// A: under the free tier (≤ 150 × 1769/1024 × 600 s ≈ 155,000 GB-s; 150 requests).
	var recsA []msg.Usage
	for i := range 150 {
		recsA = append(recsA, record(idA, fns[rng.IntN(3)], arches[rng.IntN(2)], i, at(), mems[rng.IntN(3)],
			1+rng.Int64N(600_000), 512))
	}
	// B: over it: 60 invocations of 10,240 MB for 900 s are 540,000 GB-s, plus light ones, some
	// with 10 GB of ephemeral storage (never free).
	var recsB []msg.Usage
	for i := range 60 {
		recsB = append(recsB, record(idB, "batch", arches[i%2], i, at(), 10240, 900_000, 512))
	}
	for i := range 200 {
		recsB = append(recsB, record(idB, fns[rng.IntN(3)], arches[rng.IntN(2)], 100+i, at(), mems[rng.IntN(3)],
			1+rng.Int64N(30_000), []int{512, 2048, 10240}[rng.IntN(3)]))
	}
	// C: its own prices from the month's start (a small free tier), changed mid-month; records
	// crowd the hours around the change.
	change := month.AddDate(0, 0, 14).Add(12 * time.Hour)
	pc1 := refPrice{x86: dec("0.00002"), arm: dec("0.000015"), perMillion: dec("0.25"), storage: dec("0.0000001"),
		freeGBs: dec("1000"), freeRequests: 100}
	pc2 := refPrice{x86: dec("0.00003"), arm: dec("0.000021"), perMillion: dec("0.40"), storage: dec("0.0000002"),
		freeGBs: dec("5000"), freeRequests: 5000}
	for _, p := range []struct {
		from time.Time
		p    refPrice
	}{{month, pc1}, {change, pc2}} {
		if _, err := env.DB.AddPrice(ctx, billing.Price{AccountID: idC, EffectiveFrom: p.from, Currency: "USD",
			X86GBSecond: p.p.x86, Arm64GBSecond: p.p.arm, PerMillionRequests: p.p.perMillion,
			StorageGBSecond: p.p.storage, FreeGBSeconds: p.p.freeGBs, FreeRequests: p.p.freeRequests}); err != nil {
			t.Fatal(err)
		}
	}
	var recsC []msg.Usage
	for i := range 200 {
		start := at()
		if i%4 == 0 { // within 3 hours of the change
			start = change.Add(time.Duration(rng.Int64N(int64(6*time.Hour))) - 3*time.Hour)
		}
		recsC = append(recsC, record(idC, fns[rng.IntN(3)], arches[rng.IntN(2)], i, start, 10240,
			1+rng.Int64N(200_000), []int{512, 4096}[rng.IntN(2)]))
	}
	// Usage outside the month, and another account's, must not count.
	noise := []msg.Usage{record(idA, "api", "x86_64", 9000, month.Add(-time.Millisecond), 1769, 50_000, 512),
		record(idA, "api", "x86_64", 9001, month.AddDate(0, 1, 0), 1769, 50_000, 512)}
	for _, recs := range [][]msg.Usage{recsA, recsB, recsC, noise} {
		if _, err := env.DB.InsertUsage(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}

	lambdaAt := func(time.Time) refPrice { return lambdaPrice }
	cAt := func(t time.Time) refPrice {
		if t.Before(change) {
			return pc1
		}
		return pc2
	}
	cases := []struct {
		name    string
		account string
		recs    []msg.Usage
		first   refPrice
		at      func(time.Time) refPrice
		check   func(t *testing.T, inv *billing.Invoice, ref refInvoice)
	}{
		{"under the free tier", idA, recsA, lambdaPrice, lambdaAt, func(t *testing.T, inv *billing.Invoice, ref refInvoice) {
			if !inv.Gross.IsPositive() || !inv.Due.IsZero() || !inv.Credit.Equal(inv.Gross.Decimal) {
				t.Errorf("under the free tier: gross %s, credit %s, due %s; want gross > 0 all credited", inv.Gross, inv.Credit, inv.Due)
			}
		}},
		{"over the free tier", idB, recsB, lambdaPrice, lambdaAt, func(t *testing.T, inv *billing.Invoice, ref refInvoice) {
			if !ref.freeGBsUsed.Equal(dec("400000")) || !inv.Due.GreaterThan(dec("1")) {
				t.Errorf("over the free tier: free GB-s used %s, due %s; want 400000 and > 1", ref.freeGBsUsed, inv.Due)
			}
		}},
		{"price change mid-month", idC, recsC, pc1, cAt, func(t *testing.T, inv *billing.Invoice, ref refInvoice) {
			if len(inv.Prices) != 2 || !inv.Prices[1].EffectiveFrom.Equal(change) || inv.FreeTier.Requests != 100 {
				t.Errorf("prices in force: %+v, free tier %+v; want the two rows of C and the first's free tier", inv.Prices, inv.FreeTier)
			}
			// Priced at one price or the other throughout, the invoice would differ.
			for _, p := range []refPrice{pc1, pc2} {
				one := expectInvoice(recsC, pc1, func(time.Time) refPrice { return p })
				if one.gross.Equal(ref.gross) {
					t.Errorf("the change does not show: gross %s at a single price", one.gross)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv, err := env.Client.Invoice(ctx, tc.account, month.Format("2006-01")) // the admin
			if err != nil {
				t.Fatal(err)
			}
			if inv.AccountID != tc.account || inv.Status != billing.InvoiceFinal || inv.Currency != "USD" ||
				!inv.PeriodStart.Equal(month) || !inv.PeriodEnd.Equal(month.AddDate(0, 1, 0)) {
				t.Errorf("header: %s %s %s %s–%s", inv.AccountID, inv.Status, inv.Currency, inv.PeriodStart, inv.PeriodEnd)
			}
			ref := expectInvoice(tc.recs, tc.first, tc.at)
			checkInvoice(t, tc.name, inv, ref)
			tc.check(t, inv, ref)
			t.Logf("%s: %d lines, gross %s, credit %s, due %s", tc.name, len(inv.Lines), inv.Gross, inv.Credit, inv.Due)
		})
	}
}

// The invoice as CSV and HTML: the same numbers, CSV's rows add up to the amount due, HTML is
// one self-contained page that escapes what it shows; the current month is a preview.
func TestInvoiceFormats(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	twoAccounts(t, env)
	month := billing.MonthStart(time.Now()).AddDate(0, -1, 0)
	evil := `x<script>alert("x")</script>&y`
	recs := []msg.Usage{
		record(idA, evil, "x86_64", 1, month.Add(time.Hour), 10240, 900_000, 10240),
		record(idA, "api", "arm64", 2, month.Add(2*time.Hour), 512, 1234, 512),
	}
	for i := range 50 {
		recs = append(recs, record(idA, "big", "x86_64", 10+i, month.Add(time.Duration(i)*time.Hour), 10240, 900_000, 512))
	}
	if _, err := env.DB.InsertUsage(ctx, recs); err != nil {
		t.Fatal(err)
	}
	inv, err := env.ClientFor(idA).Invoice(ctx, "", month.Format("2006-01"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(query, accept string) (*http.Response, []byte) {
		h := map[string]string{gatewaytest.HeaderTestAccount: idA}
		if accept != "" {
			h["Accept"] = accept
		}
		return do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/invoices?month=" + month.Format("2006-01") + query, header: h})
	}

	resp, body := get("&format=csv", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "invoice-"+idA+"-"+month.Format("2006-01")+".csv") {
		t.Fatalf("csv: %d %v", resp.StatusCode, resp.Header)
	}
	if _, accepted := get("", "text/csv"); !bytes.Equal(accepted, body) { // CSV has no GeneratedAt
		t.Errorf("Accept: text/csv answers another CSV:\n%s\n%s", accepted, body)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], billing.CSVHeader) {
		t.Errorf("csv header %v", rows[0])
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	kinds := map[string]int{}
	sum := decimal.Zero
	totals := map[string]string{}
	for _, r := range rows[1:] {
		if r[col["account_id"]] != idA || r[col["month"]] != month.Format("2006-01") || r[col["currency"]] != "USD" ||
			r[col["status"]] != "final" {
			t.Errorf("csv row %v", r)
		}
		kinds[r[col["kind"]]]++
		switch r[col["kind"]] {
		case billing.CSVLine, billing.CSVCredit:
			sum = sum.Add(dec(r[col["amount"]]))
		case billing.CSVTotal:
			totals[r[col["description"]]] = r[col["amount"]]
		}
	}
	if kinds[billing.CSVLine] != len(inv.Lines) || kinds[billing.CSVCredit] != len(inv.Credits) || kinds[billing.CSVTotal] != 3 ||
		len(inv.Credits) != 2 {
		t.Errorf("csv rows by kind %v; invoice has %d lines, %d credits", kinds, len(inv.Lines), len(inv.Credits))
	}
	if totals["due"] != inv.Due.String() || sum.StringFixed(2) != inv.Due.String() || totals["gross"] != inv.Gross.String() ||
		totals["credit"] != "-"+inv.Credit.String() {
		t.Errorf("csv totals %v, lines + credits sum to %s; invoice gross %s credit %s due %s", totals, sum, inv.Gross, inv.Credit, inv.Due)
	}
	if !strings.Contains(string(body), `"x<script>alert(""x"")</script>&y"`) {
		t.Errorf("csv does not quote the function name:\n%s", body)
	}

	for _, how := range []struct{ query, accept string }{{"&format=html", ""}, {"", "text/html,application/xhtml+xml;q=0.9"}} {
		resp, body = get(how.query, how.accept)
		page := string(body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
			!strings.HasPrefix(page, "<!DOCTYPE html>") {
			t.Fatalf("html %+v: %d %v", how, resp.StatusCode, resp.Header)
		}
		for _, want := range []string{"x&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;y", "<style>", "@media print",
			inv.Due.String() + " USD", inv.Gross.String(), "Free tier: 400000 GB-seconds of compute", idA} {
			if !strings.Contains(page, want) {
				t.Errorf("html %+v lacks %q:\n%s", how, want, page)
			}
		}
		for _, bad := range []string{"<script", "src=", "href=", "Preview"} {
			if strings.Contains(page, bad) {
				t.Errorf("html %+v has %q", how, bad)
			}
		}
	}

	// The current month: a preview.
	current := billing.MonthStart(time.Now())
	resp, body = do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/invoices?format=html&month=" + current.Format("2006-01")})
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Preview: "+current.Format("2006-01")+" is not over") {
		t.Errorf("current month html: %d %s", resp.StatusCode, body)
	}
	open, err := env.Client.Invoice(ctx, "", current.Format("2006-01"))
	if err != nil || open.Status != billing.InvoiceOpen || open.AccountID != tenant.AdminAccountID || len(open.Lines) != 0 ||
		!open.Due.IsZero() {
		t.Errorf("current month as admin: %+v, %v", open, err)
	}
	resp, body = get("&format=json", "text/csv")
	var asJSON billing.Invoice
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" ||
		json.Unmarshal(body, &asJSON) != nil || asJSON.Due.String() != inv.Due.String() {
		t.Errorf("format=json beats Accept: %d %s", resp.StatusCode, body)
	}
	for _, name := range []string{`"AccountId":`, `"PeriodStart":`, `"Lines":`, `"FunctionName":`, `"TotalCost":`,
		`"FreeTier":`, `"Credits":`, `"Due":`, `"Prices":`, `"EffectiveFrom":`, `"X86GBSecondPrice":`} {
		if !bytes.Contains(body, []byte(name)) {
			t.Errorf("invoice JSON has no %s: %s", name, body)
		}
	}
}

// Bad input: 400 InvalidParameterValueException, never a 500.
func TestInvoiceBadInput(t *testing.T) {
	env := gatewaytest.New(t)
	next := billing.MonthStart(time.Now()).AddDate(0, 1, 0).Format("2006-01")
	for _, tc := range []struct{ query, msg string }{
		{"", "month is required"},
		{"month=2026-13", "month"},
		{"month=2026-1", "month"},
		{"month=26-11", "month"},
		{"month=1999-12", "from 2000-01"},
		{"month=2026-11-01", "month"},
		{"month=" + next, "have started"},
		{"month=2026-11&format=pdf", "[json, csv, html]"},
		{"month=2026-11&account=12", "\\d{12}"},
	} {
		resp, body := do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/invoices?" + tc.query})
		wantError(t, resp, body, http.StatusBadRequest, lambdaerr.CodeInvalidParameterValue, tc.msg)
	}
	// An account that never existed has an empty invoice (an admin may invoice any account id,
	// like GET usage, so that a deleted account's last months can be invoiced).
	resp, body := do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/invoices?month=2026-11&account=999999999999"})
	var inv billing.Invoice
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &inv) != nil || inv.AccountID != "999999999999" ||
		len(inv.Lines) != 0 || !inv.Due.IsZero() {
		t.Errorf("invoice of an account that never existed: %d %s; want 200 and an empty invoice", resp.StatusCode, body)
	}
}

// A deleted account keeps its price overrides (history) and can still be invoiced, its prices
// listed and its usage reported by the admin; no override can be added for it any more.
func TestBillingOfADeletedAccount(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	const id = "444444444444"
	if err := env.DB.CreateAccount(ctx, &tenant.Account{ID: id, Name: "gone", Concurrency: 5}); err != nil {
		t.Fatal(err)
	}
	month := billing.MonthStart(time.Now()).AddDate(0, -1, 0)
	if _, err := env.DB.InsertUsage(ctx, []msg.Usage{record(id, "f", "x86_64", 1, month.Add(time.Hour), 1024, 1000, 512)}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.AddPrice(ctx, billing.Price{AccountID: id, EffectiveFrom: month.AddDate(0, -1, 0), Currency: "USD",
		X86GBSecond: dec("1"), Arm64GBSecond: dec("1"), PerMillionRequests: dec("0"), StorageGBSecond: dec("0"),
		FreeGBSeconds: dec("0")}); err != nil {
		t.Fatal(err)
	}
	if err := env.DB.DeleteAccount(ctx, id); err != nil {
		t.Fatal(err)
	}
	inv, err := env.Client.Invoice(ctx, id, month.Format("2006-01"))
	if err != nil || len(inv.Lines) != 1 || inv.Due.String() != "1.00" || len(inv.Prices) != 1 || inv.Prices[0].AccountID != id {
		t.Errorf("invoice of the deleted account: %+v, %v; want 1 GB-s at its override's 1.00", inv, err)
	}
	ps, err := env.Client.ListPrices(ctx, id)
	if err != nil || !slices.ContainsFunc(ps, func(p billing.Price) bool { return p.AccountID == id }) {
		t.Errorf("prices of the deleted account: %+v, %v; want its override kept", ps, err)
	}
	resp, body := do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/usage?by=month&account=" + id +
		"&from=" + month.Format(time.RFC3339) + "&to=" + month.AddDate(0, 1, 0).Format(time.RFC3339)})
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"Requests":1`)) {
		t.Errorf("usage of the deleted account: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, env, call{method: http.MethodPost, path: "/lambdock/v1/prices",
		body: mustJSON(t, map[string]any{"AccountId": id, "X86GBSecondPrice": "2"})})
	wantError(t, resp, body, http.StatusNotFound, lambdaerr.CodeResourceNotFound, "Account not found: "+id)
}

// Two concurrent price changes that each pass the checks alone but together would change an
// account's currency mid-month: exactly one is added (the book is read, checked and added to in
// one transaction).
func TestConcurrentPriceChangesKeepOneCurrencyPerMonth(t *testing.T) {
	env := gatewaytest.New(t)
	twoAccounts(t, env)
	ctx := context.Background()
	next := billing.MonthStart(time.Now()).AddDate(0, 1, 0)
	accounts := []string{"555555555501", "555555555502", "555555555503", "555555555504", "555555555505"}
	for _, id := range accounts {
		if err := env.DB.CreateAccount(ctx, &tenant.Account{ID: id, Name: "c" + id, Concurrency: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range accounts {
		changes := []billing.PriceChange{
			// From the month's first hour in EUR: fine alone.
			{AccountID: id, EffectiveFrom: next.Format(time.RFC3339), Currency: "EUR", X86GBSecond: ptr(dec("0.00002")),
				Arm64GBSecond: ptr(dec("0.00002")), PerMillionRequests: ptr(dec("0.2")), StorageGBSecond: ptr(dec("0"))},
			// In USD from mid-month: fine alone (USD is in force), a break after the EUR row.
			{AccountID: id, EffectiveFrom: next.AddDate(0, 0, 14).Format(time.RFC3339), Currency: "USD",
				X86GBSecond: ptr(dec("0.00003")), Arm64GBSecond: ptr(dec("0.00003")), PerMillionRequests: ptr(dec("0.2")),
				StorageGBSecond: ptr(dec("0"))},
		}
		errs := make([]error, len(changes))
		var wg sync.WaitGroup
		for i, c := range changes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = env.Client.AddPrice(ctx, c)
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("account %s: errors %v, %v; want exactly one change added", id, errs[0], errs[1])
		}
		failed := errs[0]
		if failed == nil {
			failed = errs[1]
		}
		if !strings.Contains(failed.Error(), "only at the first hour of a month") {
			t.Errorf("account %s: the refused change: %v; want the currency rule", id, failed)
		}
	}
}

// Who sees what, with authentication on: an owner its own invoices and prices only (another
// account's: 403), an invoke key nothing, the admin everything; only the admin adds prices.
func TestBillingAuthorization(t *testing.T) {
	env := gatewaytest.New(t, gatewaytest.Auth(nil))
	ctx := context.Background()
	a := env.SignedClient(env.AddKey(t, idA, tenant.RoleOwner))
	b := env.SignedClient(env.AddKey(t, idB, tenant.RoleOwner))
	invokeA := env.SignedClient(env.AddKey(t, idA, tenant.RoleInvoke))
	month := billing.MonthStart(time.Now()).AddDate(0, -1, 0)
	m := month.Format("2006-01")
	if _, err := env.DB.InsertUsage(ctx, []msg.Usage{record(idA, "fa", "x86_64", 1, month, 128, 100, 512),
		record(idB, "fb", "x86_64", 1, month, 128, 100, 512)}); err != nil {
		t.Fatal(err)
	}
	next := billing.MonthStart(time.Now()).AddDate(0, 1, 0).Format(time.RFC3339)
	if _, err := env.Client.AddPrice(ctx, billing.PriceChange{AccountID: idB, EffectiveFrom: next,
		X86GBSecond: ptr(dec("0.00001"))}); err != nil {
		t.Fatal(err)
	}

	denied := func(what string, err error, action string) {
		t.Helper()
		e := asAPIError(err)
		if e == nil || e.Status != http.StatusForbidden || e.Code != lambdaerr.CodeAccessDenied || !strings.Contains(e.Message, action) {
			t.Errorf("%s: %v, want 403 AccessDeniedException for %s", what, err, action)
		}
	}
	for _, tc := range []struct {
		who     string
		c       *lambdaclient.Client
		account string
		want    string // the invoice's account, or "" for denied
	}{
		{"owner A, own (default)", a, "", idA},
		{"owner A, own (named)", a, idA, idA},
		{"owner A, B's", a, idB, ""},
		{"owner B, A's", b, idA, ""},
		{"admin, A's", env.Client, idA, idA},
		{"admin, B's", env.Client, idB, idB},
		{"admin, own", env.Client, "", tenant.AdminAccountID},
		{"invoke key of A", invokeA, "", ""},
	} {
		inv, err := tc.c.Invoice(ctx, tc.account, m)
		if tc.want == "" {
			denied(tc.who, err, "lambdock:GetInvoice")
			continue
		}
		if err != nil || inv.AccountID != tc.want {
			t.Errorf("%s: %+v, %v; want %s's invoice", tc.who, inv, err, tc.want)
			continue
		}
		if want := map[string]string{idA: "fa", idB: "fb"}[tc.want]; want != "" &&
			(len(inv.Lines) != 1 || inv.Lines[0].Function != want) {
			t.Errorf("%s: lines %+v, want one of %s", tc.who, inv.Lines, want)
		}
	}
	// CSV and HTML are the same resource, the same rule.
	if _, _, err := a.InvoiceDocument(ctx, idB, m, lambdaclient.InvoiceHTML); err == nil {
		t.Error("owner A got B's HTML invoice")
	}

	scopes := func(ps []billing.Price) string {
		var s []string
		for _, p := range ps {
			s = append(s, "["+p.AccountID+"]")
		}
		return strings.Join(s, "")
	}
	for _, tc := range []struct {
		who, account, want string
		c                  *lambdaclient.Client
	}{
		{"owner A", "", "[]", a},
		{"owner B", "", "[][" + idB + "]", b},
		{"owner B, own", idB, "[][" + idB + "]", b},
		{"admin", "", "[][" + idB + "]", env.Client},
		{"admin, A", idA, "[]", env.Client},
	} {
		ps, err := tc.c.ListPrices(ctx, tc.account)
		if err != nil || scopes(ps) != tc.want {
			t.Errorf("%s: ListPrices(%q) = %s, %v; want %s", tc.who, tc.account, scopes(ps), err, tc.want)
		}
	}
	_, err := a.ListPrices(ctx, idB)
	denied("owner A lists B's prices", err, "lambdock:ListPrices")
	_, err = a.AddPrice(ctx, billing.PriceChange{AccountID: idA, X86GBSecond: ptr(dec("0"))})
	denied("owner A adds a price", err, "lambdock:AddPrice")
}

func ptr[T any](v T) *T { return &v }

// The price book API: rows added at whole future hours, what is not given copied from the
// price in force, the past refused, one currency per invoice month.
func TestPricesAPI(t *testing.T) {
	env := gatewaytest.New(t)
	ctx := context.Background()
	twoAccounts(t, env)
	now := time.Now().UTC()
	thisMonth := billing.MonthStart(now)
	nextMonth := thisMonth.AddDate(0, 1, 0)
	midNext := nextMonth.AddDate(0, 0, 14)
	hour := func(t time.Time) string { return t.Format("2006-01-02T15:04Z") }

	ps, err := env.Client.ListPrices(ctx, "")
	if err != nil || len(ps) != 1 || ps[0].AccountID != "" || !ps[0].X86GBSecond.Equal(lambdaPrice.x86) ||
		!ps[0].EffectiveFrom.Equal(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("seeded book: %+v, %v", ps, err)
	}

	// The default effective date: the next whole hour; only the x86 price changes.
	p, err := env.Client.AddPrice(ctx, billing.PriceChange{X86GBSecond: ptr(dec("0.0000170000"))})
	if err != nil {
		t.Fatal(err)
	}
	if wantFrom := time.Now().UTC().Truncate(time.Hour).Add(time.Hour); !p.EffectiveFrom.Equal(wantFrom) && !p.EffectiveFrom.Equal(wantFrom.Add(-time.Hour)) ||
		!p.X86GBSecond.Equal(dec("0.000017")) || !p.Arm64GBSecond.Equal(lambdaPrice.arm) ||
		!p.PerMillionRequests.Equal(lambdaPrice.perMillion) || p.FreeRequests != 1_000_000 || p.Currency != "USD" || p.ID == 0 {
		t.Errorf("default row: %+v", p)
	}
	// An override from next month copies the platform row in force then, and its own fields.
	o, err := env.Client.AddPrice(ctx, billing.PriceChange{AccountID: idA, EffectiveFrom: hour(nextMonth),
		PerMillionRequests: ptr(dec("0.10")), FreeRequests: ptr(int64(0))})
	if err != nil {
		t.Fatal(err)
	}
	if o.AccountID != idA || !o.EffectiveFrom.Equal(nextMonth) || !o.X86GBSecond.Equal(dec("0.000017")) ||
		!o.PerMillionRequests.Equal(dec("0.10")) || o.FreeRequests != 0 || !o.FreeGBSeconds.Equal(dec("400000")) {
		t.Errorf("override: %+v", o)
	}
	// A second override mid-month keeps the first's values for what it does not name.
	o2, err := env.Client.AddPrice(ctx, billing.PriceChange{AccountID: idA, EffectiveFrom: midNext.Format(time.RFC3339),
		Arm64GBSecond: ptr(dec("0.00001"))})
	if err != nil || !o2.PerMillionRequests.Equal(dec("0.10")) || o2.FreeRequests != 0 || !o2.Arm64GBSecond.Equal(dec("0.00001")) {
		t.Errorf("second override: %+v, %v", o2, err)
	}

	type body map[string]any
	post := func(b body) (*http.Response, []byte) {
		return do(t, env, call{method: http.MethodPost, path: "/lambdock/v1/prices", body: mustJSON(t, b)})
	}
	for _, tc := range []struct {
		name   string
		b      body
		status int
		code   string
		msg    string
	}{
		{"past hour", body{"EffectiveFrom": hour(now.Truncate(time.Hour).Add(-time.Hour))}, 400, lambdaerr.CodeInvalidParameterValue,
			"past invoices never change"},
		{"last month", body{"EffectiveFrom": hour(thisMonth.AddDate(0, -1, 0))}, 400, lambdaerr.CodeInvalidParameterValue,
			"not after the current hour"},
		{"current hour", body{"EffectiveFrom": hour(now.Truncate(time.Hour))}, 400, lambdaerr.CodeInvalidParameterValue,
			"usage already recorded in the current hour"},
		{"not a whole hour", body{"EffectiveFrom": "2099-01-01T00:30:00Z"}, 400, lambdaerr.CodeInvalidParameterValue, "whole hour"},
		{"not a time", body{"EffectiveFrom": "tomorrow"}, 400, lambdaerr.CodeInvalidParameterValue, "RFC 3339"},
		{"negative", body{"EffectiveFrom": "2099-01-01T00:00Z", "X86GBSecondPrice": "-1"}, 400,
			lambdaerr.CodeInvalidParameterValue, "X86GBSecondPrice"},
		{"negative free requests", body{"EffectiveFrom": "2099-01-01T00:00Z", "FreeRequests": -1}, 400,
			lambdaerr.CodeInvalidParameterValue, "FreeRequests"},
		{"too many places", body{"EffectiveFrom": "2099-01-01T00:00Z", "StorageGBSecondPrice": "0.0000000000000000000001"}, 400,
			lambdaerr.CodeInvalidParameterValue, "decimal places"},
		{"not a number", body{"EffectiveFrom": "2099-01-01T00:00Z", "StorageGBSecondPrice": "cheap"}, 400,
			lambdaerr.CodeInvalidRequestContent, ""},
		{"bad currency", body{"EffectiveFrom": "2099-01-01T00:00Z", "Currency": "usd"}, 400,
			lambdaerr.CodeInvalidParameterValue, "ISO 4217"},
		{"bad account", body{"AccountId": "abc"}, 400, lambdaerr.CodeInvalidParameterValue, "'AccountId' value failed"},
		{"unknown account", body{"AccountId": "999999999999"}, 404, lambdaerr.CodeResourceNotFound, "Account not found"},
		{"duplicate", body{"AccountId": idA, "EffectiveFrom": hour(nextMonth)}, 409, lambdaerr.CodeResourceConflict,
			"already exists"},
		{"currency mid-month", body{"AccountId": idB, "EffectiveFrom": hour(midNext), "Currency": "EUR",
			"X86GBSecondPrice": "0.00001", "Arm64GBSecondPrice": "0.00001", "MillionRequestsPrice": "0.2",
			"StorageGBSecondPrice": "0.00000003"}, 400, lambdaerr.CodeInvalidParameterValue, "only at the first hour of a month"},
		{"currency without every price", body{"AccountId": idB, "EffectiveFrom": hour(nextMonth), "Currency": "EUR"}, 400,
			lambdaerr.CodeInvalidParameterValue, "must be given: the price in force is in USD"},
		{"platform currency mid-month", body{"EffectiveFrom": hour(midNext.Add(time.Hour)), "Currency": "EUR",
			"X86GBSecondPrice": "0.00001", "Arm64GBSecondPrice": "0.00001", "MillionRequestsPrice": "0.2",
			"StorageGBSecondPrice": "0.00000003"}, 400, lambdaerr.CodeInvalidParameterValue, "the platform would change from USD to EUR"},
	} {
		resp, b := post(tc.b)
		t.Run(tc.name, func(t *testing.T) { wantError(t, resp, b, tc.status, tc.code, tc.msg) })
	}
	// A currency changes at a month's first hour: accepted.
	resp, b := post(body{"AccountId": idB, "EffectiveFrom": hour(nextMonth), "Currency": "EUR",
		"X86GBSecondPrice": "0.000015", "Arm64GBSecondPrice": "0.000012", "MillionRequestsPrice": "0.18",
		"StorageGBSecondPrice": "0.000000028"})
	var eur billing.Price
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &eur) != nil || eur.Currency != "EUR" || eur.AccountID != idB {
		t.Fatalf("EUR override at a month's start: %d %s", resp.StatusCode, b)
	}
	// …and then a platform row in another currency mid-month would move A (no override then? it
	// has one) — B keeps EUR from its override, the platform-only accounts would switch: refused.
	resp, b = post(body{"EffectiveFrom": hour(nextMonth.AddDate(0, 2, 3)), "Currency": "GBP", "X86GBSecondPrice": "1",
		"Arm64GBSecondPrice": "1", "MillionRequestsPrice": "1", "StorageGBSecondPrice": "1"})
	wantError(t, resp, b, http.StatusBadRequest, lambdaerr.CodeInvalidParameterValue, "only at the first hour of a month")

	var list lambdaapi.ListPricesOutput
	resp, b = do(t, env, call{method: http.MethodGet, path: "/lambdock/v1/prices?" + url.Values{"account": {idB}}.Encode()})
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &list) != nil || len(list.Prices) != 3 {
		t.Errorf("prices of B: %d %s", resp.StatusCode, b)
	}
}
