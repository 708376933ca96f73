package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newURLCommand is `lambdock url create|get|delete NAME`: a function's URL configuration.
func newURLCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "url",
		Short: "Create, show or delete a function's URL (an HTTPS endpoint that invokes it)",
	}
	cmd.AddCommand(newURLCreateCommand(o), newURLGetCommand(o), newURLDeleteCommand(o))
	return cmd
}

// newURLCreateCommand is `lambdock url create NAME [--auth-type …] [--cors-… …]`.
func newURLCreateCommand(o *options) *cobra.Command {
	var (
		in          lambdaapi.FunctionURLConfigInput
		cors        lambdaapi.Cors
		credentials bool
		maxAge      int
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Give a function a URL",
		Long: "Give a function a URL. With --auth-type NONE (the default) anyone who knows the URL can\n" +
			"call it; with AWS_IAM requests must be SigV4-signed by a key that may invoke the function.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in.AuthType = strings.ToUpper(in.AuthType)
			in.InvokeMode = strings.ToUpper(in.InvokeMode)
			f := cmd.Flags()
			if f.Changed("cors-origins") || f.Changed("cors-methods") || f.Changed("cors-headers") ||
				f.Changed("cors-expose-headers") || f.Changed("cors-allow-credentials") || f.Changed("cors-max-age") {
				if f.Changed("cors-allow-credentials") {
					cors.AllowCredentials = &credentials
				}
				if f.Changed("cors-max-age") {
					cors.MaxAge = &maxAge
				}
				in.Cors = &cors
			}
			out, err := o.client().CreateFunctionURL(cmd.Context(), args[0], &in)
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(out)
			}
			fmt.Fprintf(o.stdout, "Function URL of %s (auth type %s):\n%s\n", args[0], out.AuthType, out.FunctionURL)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.AuthType, "auth-type", lambdaapi.AuthTypeNone, "NONE (public) or AWS_IAM (SigV4-signed requests only)")
	f.StringVar(&in.InvokeMode, "invoke-mode", lambdaapi.InvokeModeBuffered, "BUFFERED or RESPONSE_STREAM (served buffered by Lambdock for now)")
	f.StringSliceVar(&cors.AllowOrigins, "cors-origins", nil, "CORS: origins allowed to call the URL from a browser (\"*\" for any)")
	f.StringSliceVar(&cors.AllowMethods, "cors-methods", nil, "CORS: allowed methods (\"*\" for any)")
	f.StringSliceVar(&cors.AllowHeaders, "cors-headers", nil, "CORS: allowed request headers")
	f.StringSliceVar(&cors.ExposeHeaders, "cors-expose-headers", nil, "CORS: response headers the browser may read")
	f.BoolVar(&credentials, "cors-allow-credentials", false, "CORS: allow cookies and credentials")
	f.IntVar(&maxAge, "cors-max-age", 0, "CORS: seconds a browser may cache a preflight answer (0–86400)")
	return cmd
}

// newURLGetCommand is `lambdock url get NAME`.
func newURLGetCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME",
		Short: "Show a function's URL configuration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := o.client().GetFunctionURL(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(out)
			}
			fmt.Fprintf(o.stdout, "URL:          %s\nAuth type:    %s\nInvoke mode:  %s\nCreated:      %s\nModified:     %s\n",
				out.FunctionURL, out.AuthType, out.InvokeMode, out.CreationTime, out.LastModifiedTime)
			if c := out.Cors; c != nil {
				fmt.Fprintf(o.stdout, "CORS origins: %s\nCORS methods: %s\nCORS headers: %s\n",
					strings.Join(c.AllowOrigins, ","), strings.Join(c.AllowMethods, ","), strings.Join(c.AllowHeaders, ","))
			}
			return nil
		},
	}
}

// newURLDeleteCommand is `lambdock url delete NAME`.
func newURLDeleteCommand(o *options) *cobra.Command {
	return deleteCommand(o, "delete NAME", "Remove a function's URL", "Removed the URL of %s", (*lambdaclient.Client).DeleteFunctionURL)
}
