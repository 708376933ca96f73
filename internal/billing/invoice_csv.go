package billing

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"account_id", "month", "currency", "status", "kind", "description", "function",
	"architecture", "requests", "gb_seconds", "storage_gb_seconds", "compute_cost", "request_cost", "storage_cost",
	"amount"}

// Kinds of CSV rows.
const (
	CSVLine   = "line"   // a line item
	CSVCredit = "credit" // a free-tier credit; its amount is negative
	CSVTotal  = "total"  // gross, credit (negative) and due
)

// WriteCSV writes inv as CSV (RFC 4180): a header (CSVHeader), one row per line item, one per
// free-tier credit (amount negative, so the amounts of line and credit rows sum to the amount
// due), then the total rows gross, credit and due. Every row repeats the account, month,
// currency and status, so rows of several invoices can be concatenated.
func WriteCSV(w io.Writer, inv *Invoice) error {
	cw := csv.NewWriter(w)
	row := func(kind, description, function, arch, requests, gbs, storage, compute, req, sto, amount string) {
		_ = cw.Write([]string{inv.AccountID, inv.Month, inv.Currency, inv.Status, kind, description, function, arch,
			requests, gbs, storage, compute, req, sto, amount}) // errors stick in cw; Error reports them
	}
	_ = cw.Write(CSVHeader) // likewise
	for _, l := range inv.Lines {
		row(CSVLine, "", l.Function, l.Architecture, strconv.FormatInt(l.Requests, 10), l.GBSeconds.String(),
			l.StorageGBSeconds.String(), l.ComputeCost.String(), l.RequestCost.String(), l.StorageCost.String(),
			l.Total.String())
	}
	for _, c := range inv.Credits {
		requests, gbs := "", ""
		if c.Kind == CreditRequests {
			requests = c.Quantity.String()
		} else {
			gbs = NewQuantity(c.Quantity).String()
		}
		row(CSVCredit, c.Description, "", "", requests, gbs, "", "", "", "", Money{c.Amount.Neg()}.String())
	}
	row(CSVTotal, "gross", "", "", "", "", "", "", "", "", inv.Gross.String())
	row(CSVTotal, "credit", "", "", "", "", "", "", "", "", Money{inv.Credit.Neg()}.String())
	row(CSVTotal, "due", "", "", "", "", "", "", "", "", inv.Due.String())
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("billing: write invoice CSV: %w", err)
	}
	return nil
}
