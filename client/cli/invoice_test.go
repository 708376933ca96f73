package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/billing"
	"github.com/lambdock/lambdock/internal/contract/msg"
	"github.com/lambdock/lambdock/internal/contract/tenant"
	"github.com/lambdock/lambdock/internal/testsupport/gatewaytest"
)

// TestInvoiceAndPricesCLI walks through `lambdock prices` and `lambdock invoice` against a
// gateway with authentication on: the admin sets and lists prices and reads an account's
// invoice in every format; the account's owner reads its own, not another's, and sets no price.
func TestInvoiceAndPricesCLI(t *testing.T) {
	env := gatewaytest.New(t, gatewaytest.Auth(nil))
	ctx := context.Background()
	const acct, other = "444444444444", "555555555555"
	owner := env.AddKey(t, acct, tenant.RoleOwner)
	env.AddKey(t, other, tenant.RoleOwner)
	month := billing.MonthStart(time.Now()).AddDate(0, -1, 0)
	m := month.Format(billing.MonthLayout)
	var recs []msg.Usage
	for i := range 50 { // 50 × 10 GB × 900 s = 450,000 GB-s: over the free tier
		recs = append(recs, msg.Usage{RequestID: "r" + string(rune('A'+i%26)) + string(rune('a'+i/26)), AccountID: acct,
			Function: "thumbnailer", Version: "$LATEST", InvokerID: "t", Start: month.Add(time.Duration(i) * time.Hour),
			DurationUs: 899_999_700, BilledMs: 900_000, MemoryMB: 10240, MaxMemoryUsedMB: 100, Status: msg.UsageSuccess})
	}
	if _, err := env.DB.InsertUsage(ctx, recs); err != nil {
		t.Fatal(err)
	}
	useKey(t, env.Admin.ID, env.Admin.Secret)

	// Prices.
	next := billing.MonthStart(time.Now()).AddDate(0, 1, 0).Format(billing.HourLayout)
	code, out, errOut := run(t, env, "", "prices", "set", "--account", acct, "--effective", next, "--x86-gb-second",
		"0.00002", "--free-requests", "10")
	if code != 0 || !strings.Contains(out, "for account "+acct+", in force from "+next+": 0.00002 per GB-s x86_64") ||
		!strings.Contains(out, "10 requests (USD)") {
		t.Fatalf("prices set: %d %s %s", code, out, errOut)
	}
	code, out, errOut = run(t, env, "", "prices", "set", "--effective", "2020-01-01T00:00Z", "--x86-gb-second", "1")
	if code != 1 || !strings.Contains(errOut, "InvalidParameterValueException") || !strings.Contains(errOut, "past invoices never change") {
		t.Errorf("prices set in the past: %d %s %s", code, out, errOut)
	}
	code, _, errOut = run(t, env, "", "prices", "set", "--x86-gb-second", "cheap")
	if code != 1 || !strings.Contains(errOut, `--x86-gb-second: "cheap" is not a decimal number`) {
		t.Errorf("prices set with a bad number: %d %s", code, errOut)
	}
	code, out, _ = run(t, env, "", "prices", "list")
	if code != 0 || !strings.Contains(out, "EFFECTIVE FROM") || !strings.Contains(out, "platform") ||
		!strings.Contains(out, "2020-01-01T00:00Z  in force") || !strings.Contains(out, acct) || !strings.Contains(out, next) {
		t.Errorf("prices list:\n%s", out)
	}
	code, out, _ = run(t, env, "", "prices", "list", "--account", other, "-o", "json")
	var list lambdaapi.ListPricesOutput
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Prices) != 1 {
		t.Errorf("prices list --account %s -o json: %d %s", other, code, out)
	}

	// The invoice as a table, JSON, CSV and HTML.
	code, out, errOut = run(t, env, "", "invoice", "--account", acct, "--month", m)
	if code != 0 {
		t.Fatalf("invoice: %d %s %s", code, out, errOut)
	}
	code, jsonOut, _ := run(t, env, "", "invoice", "--account", acct, "--month", m, "-o", "json")
	var inv billing.Invoice
	if code != 0 || json.Unmarshal([]byte(jsonOut), &inv) != nil || inv.AccountID != acct || len(inv.Lines) != 1 {
		t.Fatalf("invoice -o json: %d %s", code, jsonOut)
	}
	// 450,000 GB-s at $0.0000166667 is $7.500015, 50 requests; 400,000 GB-s free ($6.66668).
	if inv.Gross.String() != "7.50" || inv.Credit.String() != "6.67" || inv.Due.String() != "0.83" {
		t.Errorf("invoice: gross %s credit %s due %s, want 7.50 6.67 0.83", inv.Gross, inv.Credit, inv.Due)
	}
	for _, want := range []string{"Invoice for account " + acct + ", " + m, "final", "thumbnailer", "x86_64",
		"450000.000000", "7.50", "Free tier: 400000 GB-seconds of compute", "-6.67", "Amount due", "0.83 USD"} {
		if !strings.Contains(out, want) {
			t.Errorf("invoice table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run(t, env, "", "invoice", "--account", acct, "--month", m, "-o", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 1+1+2+3 || rows[len(rows)-1][len(billing.CSVHeader)-1] != "0.83" {
		t.Errorf("invoice -o csv: %d %v\n%s", code, err, out)
	}
	file := filepath.Join(t.TempDir(), "invoice.html")
	code, out, errOut = run(t, env, "", "invoice", "--account", acct, "--month", m, "-o", "html", "--output-file", file)
	page, err := os.ReadFile(file)
	if code != 0 || out != "" || !strings.Contains(errOut, "Wrote "+file) || err != nil ||
		!strings.HasPrefix(string(page), "<!DOCTYPE html>") || !strings.Contains(string(page), "0.83 USD") {
		t.Errorf("invoice -o html --output-file: %d %q %q %v", code, out, errOut, err)
	}
	for _, bad := range [][]string{{"invoice", "--month", m, "-o", "pdf"}, {"invoice", "--month", "11-2026"}, {"invoice"}} {
		if code, _, errOut := run(t, env, "", bad...); code != 1 || errOut == "" {
			t.Errorf("%v: %d %q, want an error", bad, code, errOut)
		}
	}
	// The current month: a preview.
	code, out, _ = run(t, env, "", "invoice", "--month", billing.MonthStart(time.Now()).Format(billing.MonthLayout))
	if code != 0 || !strings.Contains(out, "PREVIEW") || !strings.Contains(out, "open") || !strings.Contains(out, "(no usage)") {
		t.Errorf("current month's invoice: %d\n%s", code, out)
	}

	// As the owner.
	useKey(t, owner.ID, owner.Secret)
	code, out, _ = run(t, env, "", "invoice", "--month", m, "-o", "json")
	if code != 0 || !strings.Contains(out, `"Due": "0.83"`) {
		t.Errorf("owner's own invoice: %d %s", code, out)
	}
	code, _, errOut = run(t, env, "", "invoice", "--account", other, "--month", m)
	if code != 1 || !strings.Contains(errOut, "AccessDeniedException (HTTP 403)") || !strings.Contains(errOut, "lambdock:GetInvoice") {
		t.Errorf("owner reads another account's invoice: %d %s", code, errOut)
	}
	code, _, errOut = run(t, env, "", "prices", "set", "--x86-gb-second", "0")
	if code != 1 || !strings.Contains(errOut, "AccessDeniedException") || !strings.Contains(errOut, "lambdock:AddPrice") {
		t.Errorf("owner sets a price: %d %s", code, errOut)
	}
	code, out, _ = run(t, env, "", "prices", "list")
	if code != 0 || !strings.Contains(out, acct) {
		t.Errorf("owner's prices list: %d\n%s", code, out)
	}
}
