package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/internal/billing"
)

// Formats of `lambdock invoice -o`.
const (
	invoiceTable = "table"
	invoiceJSON  = "json"
	invoiceCSV   = "csv"
	invoiceHTML  = "html"
)

// newInvoiceCommand is `lambdock invoice [--account A] --month YYYY-MM [-o table|json|csv|html]
// [--output-file F]`. Its -o shadows the global one: an invoice has more formats.
func newInvoiceCommand(o *options) *cobra.Command {
	var account, month, format, file string
	cmd := &cobra.Command{
		Use:   "invoice --month YYYY-MM",
		Short: "Show an account's invoice for a month (table, JSON, CSV or printable HTML)",
		Long: "Show an account's invoice for a month (UTC): one line per function and architecture, the monthly\n" +
			"free tier as credit lines, and the amount due. The current month's invoice is a preview (status open).\n" +
			"An owner key sees its own account's invoices; an admin key any account's (--account).\n" +
			"-o csv and -o html are rendered by the gateway; -o html is a self-contained page to print.\n" +
			"Rules: each hour's usage at the price in force that hour; amounts rounded half-up to cents, GB-s to 6 places.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := billing.ParseMonth(month); err != nil {
				return fmt.Errorf("--month: %w", err)
			}
			var buf bytes.Buffer
			switch format {
			case invoiceTable, OutputText, invoiceJSON:
				inv, err := o.client().Invoice(cmd.Context(), account, month)
				if err != nil {
					return err
				}
				if format == invoiceJSON {
					err = (&options{stdout: &buf}).printJSON(inv)
				} else {
					err = printInvoice(&buf, inv)
				}
				if err != nil {
					return err
				}
			case invoiceCSV, invoiceHTML:
				doc, _, err := o.client().InvoiceDocument(cmd.Context(), account, month, format)
				if err != nil {
					return err
				}
				buf.Write(doc)
			default:
				return fmt.Errorf("-o must be table, json, csv or html, not %q", format)
			}
			if file == "" {
				_, err := o.stdout.Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(o.stderr, "Wrote %s\n", file)
			return nil
		},
	}
	cmd.Flags().StringVar(&account, "account", "", "the account to invoice (default: your key's; others need an admin key)")
	cmd.Flags().StringVar(&month, "month", "", "the month, YYYY-MM (UTC)")
	cmd.Flags().StringVarP(&format, "output", "o", invoiceTable, "format: table, json, csv or html")
	cmd.Flags().StringVar(&file, "output-file", "", "write the invoice to this file instead of stdout")
	_ = cmd.MarkFlagRequired("month") // the flag exists
	return cmd
}

// printInvoice prints inv as a human-readable table.
func printInvoice(out io.Writer, inv *billing.Invoice) error {
	o := &options{stdout: out}
	fmt.Fprintf(out, "Invoice for account %s, %s (%s to %s UTC), %s\n", inv.AccountID, inv.Month,
		inv.PeriodStart.Format(billing.HourLayout), inv.PeriodEnd.Format(billing.HourLayout), inv.Status)
	if inv.Status == billing.InvoiceOpen {
		fmt.Fprintf(out, "PREVIEW: the month is not over; amounts will change.\n")
	}
	fmt.Fprintf(out, "Currency %s, generated %s\n\n", inv.Currency, inv.GeneratedAt.Format("2006-01-02T15:04:05Z"))
	w := o.table("FUNCTION\tARCH\tREQUESTS\tGB-SECONDS\tSTORAGE GB-S\tCOMPUTE\tREQUEST COST\tSTORAGE COST\tTOTAL")
	for _, l := range inv.Lines {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", l.Function, l.Architecture, l.Requests, l.GBSeconds,
			l.StorageGBSeconds, l.ComputeCost, l.RequestCost, l.StorageCost, l.Total)
	}
	if len(inv.Lines) == 0 {
		fmt.Fprintln(w, "(no usage)")
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	w = o.table("")
	fmt.Fprintf(w, "Gross\t%s\n", inv.Gross)
	for _, c := range inv.Credits {
		fmt.Fprintf(w, "%s\t-%s\n", c.Description, c.Amount)
	}
	fmt.Fprintf(w, "Amount due\t%s %s\n", inv.Due, inv.Currency)
	return w.Flush()
}
