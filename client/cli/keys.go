package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newKeysCommand is `lambdock keys create|list|disable|enable|delete` (admin keys, or owner keys
// within their account).
func newKeysCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage access keys; needs an admin key, or an owner key for its own account",
	}
	var in lambdaapi.CreateKeyInput
	create := &cobra.Command{
		Use:   "create",
		Short: "Create an access key; its secret is shown only now",
		Long: "Create an access key. Roles: admin (the whole platform; admin account only), owner (everything in its\n" +
			"account, including its keys), invoke (only Invoke, limited to --functions when given: names, or\n" +
			"prefixes ending in *). The secret access key is printed once and cannot be shown again.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := o.client().CreateKey(cmd.Context(), in)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(k)
			}
			fmt.Fprintf(o.stdout, "Created %s key %s in account %s%s\n", k.Role, k.AccessKeyID, k.AccountID, functions(k.Functions))
			fmt.Fprintf(o.stdout, "The secret is shown only now. As an AWS credentials file profile:\n\n"+
				"aws_access_key_id = %s\naws_secret_access_key = %s\n", k.AccessKeyID, k.SecretAccessKey)
			return nil
		},
	}
	create.Flags().StringVar(&in.AccountID, "account", "", "account of the key (default: your key's account; others need an admin key)")
	create.Flags().StringVar(&in.Role, "role", "invoke", "admin, owner or invoke")
	create.Flags().StringSliceVar(&in.Functions, "functions", nil, "an invoke key's functions: names or prefixes ending in * (default: all)")

	var account string
	list := &cobra.Command{
		Use:   "list",
		Short: "List access keys (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := o.client().ListKeys(cmd.Context(), account)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(lambdaapi.ListKeysOutput{Keys: keys})
			}
			w := o.table("ACCESS KEY ID\tACCOUNT\tROLE\tFUNCTIONS\tSTATUS\tCREATED")
			for _, k := range keys {
				fns := strings.Join(k.Functions, ",")
				if fns == "" {
					fns = "-"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.AccessKeyID, k.AccountID, k.Role, fns, status(k.Disabled), k.Created)
			}
			return w.Flush()
		},
	}
	list.Flags().StringVar(&account, "account", "", "list another account's keys (admin; * for every account)")

	setDisabled := func(use, short string, disabled bool) *cobra.Command {
		return &cobra.Command{
			Use:   use + " ID",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				k, err := o.client().SetKeyDisabled(cmd.Context(), args[0], disabled)
				if err != nil {
					return err
				}
				if o.output == OutputJSON {
					return o.printJSON(k)
				}
				fmt.Fprintf(o.stdout, "Key %s is %s\n", k.AccessKeyID, status(k.Disabled))
				return nil
			},
		}
	}
	del := deleteCommand(o, "delete ID", "Delete an access key", "Deleted key %s", (*lambdaclient.Client).DeleteKey)
	cmd.AddCommand(create, list,
		setDisabled("disable", "Disable an access key: requests signed with it are refused", true),
		setDisabled("enable", "Enable a disabled access key", false),
		del)
	return cmd
}

// functions describes an invoke key's function list for messages.
func functions(fns []string) string {
	if len(fns) == 0 {
		return ""
	}
	return ", functions " + strings.Join(fns, ",")
}
