package billing

import (
	"fmt"
	"html/template"
	"io"
	"time"
)

// invoiceHTML is the printable invoice: one self-contained page, inline CSS (with print rules),
// no script, no external resource. html/template escapes every value.
var invoiceHTML = template.Must(template.New("invoice").Funcs(template.FuncMap{
	"hour": func(t time.Time) string { return t.UTC().Format(HourLayout) },
	"utc":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Invoice {{.AccountID}} {{.Month}}</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #111; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
.meta { color: #444; margin-bottom: 1.5rem; }
.meta dt { float: left; clear: left; width: 9rem; font-weight: 600; }
.meta dd { margin: 0 0 .15rem 9rem; }
.preview { border: 2px solid #b45309; background: #fffbeb; color: #7c2d12; padding: .6rem .9rem; margin-bottom: 1.5rem; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { padding: .35rem .5rem; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #111; }
tr.due td { font-size: 1.15rem; font-weight: 700; }
.note { color: #555; font-size: .85rem; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  th { background: none; }
  .preview { background: none; }
  tr { break-inside: avoid; }
}
</style>
</head>
<body>
<h1>Invoice</h1>
{{if eq .Status "open"}}<div class="preview">Preview: {{.Month}} is not over yet (status open). Amounts will change until the month ends.</div>
{{end}}<dl class="meta">
<dt>Account</dt><dd>{{.AccountID}}</dd>
<dt>Month</dt><dd>{{.Month}} ({{utc .PeriodStart}} to {{utc .PeriodEnd}}, UTC)</dd>
<dt>Status</dt><dd>{{.Status}}</dd>
<dt>Currency</dt><dd>{{.Currency}}</dd>
<dt>Generated</dt><dd>{{utc .GeneratedAt}}</dd>
</dl>
<table>
<thead><tr><th>Function</th><th>Architecture</th><th class="n">Requests</th><th class="n">GB-seconds</th><th class="n">Storage GB-s</th><th class="n">Compute</th><th class="n">Requests</th><th class="n">Storage</th><th class="n">Total</th></tr></thead>
<tbody>
{{range .Lines}}<tr><td>{{.Function}}</td><td>{{.Architecture}}</td><td class="n">{{.Requests}}</td><td class="n">{{.GBSeconds.String}}</td><td class="n">{{.StorageGBSeconds.String}}</td><td class="n">{{.ComputeCost.String}}</td><td class="n">{{.RequestCost.String}}</td><td class="n">{{.StorageCost.String}}</td><td class="n">{{.Total.String}}</td></tr>
{{else}}<tr><td colspan="9">No usage this month.</td></tr>
{{end}}</tbody>
</table>
<table>
<tbody>
<tr class="total"><td>Gross</td><td class="n">{{.Gross.String}} {{.Currency}}</td></tr>
{{range .Credits}}<tr><td>{{.Description}}</td><td class="n">−{{.Amount.String}} {{$.Currency}}</td></tr>
{{end}}<tr class="total due"><td>Amount due</td><td class="n">{{.Due.String}} {{.Currency}}</td></tr>
</tbody>
</table>
<p class="note">Free tier this month: {{.FreeTier.GBSeconds.Decimal.String}} GB-seconds of compute and {{.FreeTier.Requests}} requests, used in chronological order and valued at the price of the hour that used them. Usage is priced at the price in force each hour. Amounts are rounded half-up to 2 decimal places, GB-seconds to 6; a line's total is the sum of its rounded parts, and a line's credit its rounded cost minus its rounded cost net of the free tier.</p>
<table>
<thead><tr><th>Prices in force from</th><th class="n">x86_64 / GB-s</th><th class="n">arm64 / GB-s</th><th class="n">per 1M requests</th><th class="n">storage / GB-s</th></tr></thead>
<tbody>
{{range .Prices}}<tr><td>{{hour .EffectiveFrom}}{{if .AccountID}} (account override){{end}}</td><td class="n">{{.X86GBSecond.String}}</td><td class="n">{{.Arm64GBSecond.String}}</td><td class="n">{{.PerMillionRequests.String}}</td><td class="n">{{.StorageGBSecond.String}}</td></tr>
{{end}}</tbody>
</table>
</body>
</html>
`))

// WriteHTML writes inv as a printable, self-contained HTML page (inline CSS, no script).
func WriteHTML(w io.Writer, inv *Invoice) error {
	if err := invoiceHTML.Execute(w, inv); err != nil {
		return fmt.Errorf("billing: write invoice HTML: %w", err)
	}
	return nil
}
