package cli

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/gateway/lambdaapi"
	"github.com/lambdock/lambdock/internal/billing"
)

// newPricesCommand is `lambdock prices list|set`.
func newPricesCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "prices",
		Short: "Show or change the price book (platform prices and per-account overrides)",
	}
	var account string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the price book: the platform's rows and your account's overrides (admin: every row)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			prices, err := o.client().ListPrices(cmd.Context(), account)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(lambdaapi.ListPricesOutput{Prices: prices})
			}
			inForce := inForceNow(prices, time.Now())
			w := o.table("ID\tSCOPE\tEFFECTIVE FROM\tNOW\tCURRENCY\tX86_64/GB-S\tARM64/GB-S\tPER 1M REQUESTS\tSTORAGE/GB-S\tFREE GB-S\tFREE REQUESTS")
			for _, p := range prices {
				scope, now := "platform", ""
				if p.AccountID != "" {
					scope = p.AccountID
				}
				if inForce[p.ID] {
					now = "in force"
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", p.ID, scope,
					p.EffectiveFrom.Format(billing.HourLayout), now, p.Currency, p.X86GBSecond, p.Arm64GBSecond,
					p.PerMillionRequests, p.StorageGBSecond, p.FreeGBSeconds, p.FreeRequests)
			}
			return w.Flush()
		},
	}
	list.Flags().StringVar(&account, "account", "", "show the platform's rows and this account's overrides (admin)")

	var (
		change billing.PriceChange
		prices [5]string
		free   int64
		// priceFlags are the decimal flags, in PriceChange's order.
		priceFlags = [...]string{"x86-gb-second", "arm64-gb-second", "per-million-requests", "storage-gb-second",
			"free-gb-seconds"}
	)
	set := &cobra.Command{
		Use:   "set",
		Short: "Add a row to the price book (admin): platform prices, or an account's override with --account",
		Long: "Add a row to the price book (admin key). Prices are never edited: a new row takes effect at --effective\n" +
			"(a whole UTC hour, the next one at the earliest: the current hour is already being billed; default the\n" +
			"next whole hour) and stays in force until the next row of\n" +
			"its scope. Prices not given keep the values of the price in force for that scope at --effective.\n" +
			"An account's override replaces the platform's prices for that account while it is in force.\n" +
			"The currency may change only at the first hour of a month (so every invoice has one currency).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dsts := []**decimal.Decimal{&change.X86GBSecond, &change.Arm64GBSecond, &change.PerMillionRequests,
				&change.StorageGBSecond, &change.FreeGBSeconds}
			for i, name := range priceFlags {
				if !cmd.Flags().Changed(name) {
					continue
				}
				d, err := decimal.NewFromString(prices[i])
				if err != nil {
					return fmt.Errorf("--%s: %q is not a decimal number", name, prices[i])
				}
				*dsts[i] = &d
			}
			if cmd.Flags().Changed("free-requests") {
				change.FreeRequests = &free
			}
			p, err := o.client().AddPrice(cmd.Context(), change)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(p)
			}
			scope := "the platform"
			if p.AccountID != "" {
				scope = "account " + p.AccountID
			}
			fmt.Fprintf(o.stdout, "Added price %d for %s, in force from %s: %s per GB-s x86_64, %s per GB-s arm64, "+
				"%s per million requests, %s per GB-s of storage above 512 MB; free each month %s GB-s and %d requests (%s)\n",
				p.ID, scope, p.EffectiveFrom.Format(billing.HourLayout), p.X86GBSecond, p.Arm64GBSecond,
				p.PerMillionRequests, p.StorageGBSecond, p.FreeGBSeconds, p.FreeRequests, p.Currency)
			return nil
		},
	}
	set.Flags().StringVar(&change.AccountID, "account", "", "an account's override (default: the platform's prices)")
	set.Flags().StringVar(&change.EffectiveFrom, "effective", "", "when the row takes effect, a whole UTC hour like 2026-12-01T00:00Z, the next hour or later (default: the next hour)")
	set.Flags().StringVar(&change.Currency, "currency", "", "ISO 4217 currency code (default: the one in force)")
	usage := []string{"price per GB-second of x86_64 compute", "price per GB-second of arm64 compute",
		"price per million requests", "price per GB-second of ephemeral storage above 512 MB",
		"GB-seconds of compute free each month"}
	for i, name := range priceFlags {
		set.Flags().StringVar(&prices[i], name, "", usage[i])
	}
	set.Flags().Int64Var(&free, "free-requests", 0, "requests free each month")
	cmd.AddCommand(list, set)
	return cmd
}

// inForceNow is the IDs of the rows in force at now in their scope (the platform's, each
// account's).
func inForceNow(prices []billing.Price, now time.Time) map[int64]bool {
	latest := map[string]billing.Price{}
	for _, p := range prices {
		if l, ok := latest[p.AccountID]; !p.EffectiveFrom.After(now) && (!ok || p.EffectiveFrom.After(l.EffectiveFrom)) {
			latest[p.AccountID] = p
		}
	}
	out := map[int64]bool{}
	for _, p := range latest {
		out[p.ID] = true
	}
	return out
}
