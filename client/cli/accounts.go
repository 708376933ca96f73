package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newAccountsCommand is `lambdock accounts create|list|disable|enable|delete` (admin keys).
func newAccountsCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "Manage accounts (tenants); needs an admin key",
	}
	var concurrency int
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create an account",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var limit *int
			if cmd.Flags().Changed("concurrency") {
				limit = &concurrency
			}
			a, err := o.client().CreateAccount(cmd.Context(), args[0], limit)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(a)
			}
			fmt.Fprintf(o.stdout, "Created account %s (%s), concurrency limit %d\n", a.AccountID, a.Name, a.Concurrency)
			fmt.Fprintf(o.stdout, "Give it a key: lambdock keys create --account %s --role owner\n", a.AccountID)
			return nil
		},
	}
	create.Flags().IntVar(&concurrency, "concurrency", 0, "the account's concurrency limit (default: the platform's)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			accounts, err := o.client().ListAccounts(cmd.Context())
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(lambdaapi.ListAccountsOutput{Accounts: accounts})
			}
			w := o.table("ID\tNAME\tCONCURRENCY\tSTATUS\tCREATED")
			for _, a := range accounts {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", a.AccountID, a.Name, a.Concurrency, status(a.Disabled), a.Created)
			}
			return w.Flush()
		},
	}

	setDisabled := func(use, short string, disabled bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " ID",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				a, err := o.client().UpdateAccount(cmd.Context(), args[0], lambdaapi.UpdateAccountInput{Disabled: &disabled})
				if err != nil {
					return err
				}
				if o.output == OutputJSON {
					return o.printJSON(a)
				}
				fmt.Fprintf(o.stdout, "Account %s (%s) is %s\n", a.AccountID, a.Name, status(a.Disabled))
				return nil
			},
		}
	}
	del := deleteCommand(o, "delete ID", "Delete an account that has no functions and no keys left", "Deleted account %s", (*lambdaclient.Client).DeleteAccount)
	cmd.AddCommand(create, list,
		setDisabled("disable", "Disable an account: its keys are refused", true),
		setDisabled("enable", "Enable a disabled account", false),
		del)
	return cmd
}

// status is how the CLI shows a disabled flag.
func status(disabled bool) string {
	if disabled {
		return "disabled"
	}
	return "enabled"
}
