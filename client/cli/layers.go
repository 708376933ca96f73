package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lambdock/lambdock/client/lambdaclient"
	"github.com/lambdock/lambdock/gateway/lambdaapi"
)

// newLayerCommand is `lambdock layer publish|list|versions|get|delete`.
func newLayerCommand(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "layer",
		Short: "Publish and manage Lambda layers (code mounted at /opt in your functions)",
		Long: "Publish and manage Lambda layers. A function lists up to 5 layer version ARNs (lambdock.yaml's\n" +
			"layers:); they are extracted in order into /opt, a later layer replacing an earlier one's files.\n" +
			"Runtimes look in /opt/python (Python), /opt/nodejs/node_modules (Node.js), /opt/bin (PATH)\n" +
			"and /opt/lib (LD_LIBRARY_PATH).",
	}
	var description, license string
	var compatible, archs []string
	publish := &cobra.Command{
		Use:   "publish NAME DIR|ZIP",
		Short: "Publish a new version of layer NAME from a directory (zipped as it is) or a .zip file",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			zip, err := LayerZip(args[1])
			if err != nil {
				return err
			}
			v, err := o.client().PublishLayerVersion(cmd.Context(), args[0], &lambdaapi.PublishLayerVersionInput{
				Content: lambdaapi.LayerVersionContentInput{ZipFile: zip}, Description: description, LicenseInfo: license,
				CompatibleRuntimes: compatible, CompatibleArchitectures: archs,
			})
			if err != nil {
				return err
			}
			return o.printLayerVersion(v, "Published")
		},
	}
	publish.Flags().StringVar(&description, "description", "", "description of the version")
	publish.Flags().StringVar(&license, "license-info", "", "license of the layer (e.g. an SPDX identifier)")
	publish.Flags().StringSliceVar(&compatible, "compatible-runtimes", nil, "runtimes the layer is for (comma-separated)")
	publish.Flags().StringSliceVar(&archs, "compatible-architectures", nil, "x86_64 and/or arm64")

	var runtime string
	list := &cobra.Command{
		Use:   "list",
		Short: "List your layers with their latest version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := lambdaclient.LayerFilter{CompatibleRuntime: runtime}
			layers, err := allPages(nil, func(marker string) ([]*lambdaapi.LayersListItem, string, error) {
				out, err := o.client().ListLayers(cmd.Context(), f, marker, 0)
				if err != nil {
					return nil, "", err
				}
				return out.Layers, out.NextMarker, nil
			})
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(lambdaapi.ListLayersOutput{Layers: layers})
			}
			w := o.table("NAME\tLATEST\tCREATED\tRUNTIMES\tARN")
			for _, l := range layers {
				v := l.LatestMatchingVersion
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", l.LayerName, v.Version, v.CreatedDate,
					dash(strings.Join(v.CompatibleRuntimes, ",")), v.LayerVersionArn)
			}
			return w.Flush()
		},
	}
	list.Flags().StringVar(&runtime, "compatible-runtime", "", "only layers compatible with this runtime")

	versions := &cobra.Command{
		Use:   "versions NAME",
		Short: "List the versions of layer NAME, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			all, err := allPages(nil, func(marker string) ([]*lambdaapi.LayerVersionsListItem, string, error) {
				out, err := o.client().ListLayerVersions(cmd.Context(), args[0], lambdaclient.LayerFilter{}, marker, 0)
				if err != nil {
					return nil, "", err
				}
				return out.LayerVersions, out.NextMarker, nil
			})
			if err != nil {
				return err
			}
			if o.output == OutputJSON {
				return o.printJSON(lambdaapi.ListLayerVersionsOutput{LayerVersions: all})
			}
			w := o.table("VERSION\tCREATED\tRUNTIMES\tDESCRIPTION\tARN")
			for _, v := range all {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", v.Version, v.CreatedDate,
					dash(strings.Join(v.CompatibleRuntimes, ",")), dash(v.Description), v.LayerVersionArn)
			}
			return w.Flush()
		},
	}

	get := &cobra.Command{
		Use:   "get NAME VERSION",
		Short: "Show a layer version, with a link to download its zip (valid 10 minutes)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			version, err := layerVersionArg(args[1])
			if err != nil {
				return err
			}
			v, err := o.client().GetLayerVersion(cmd.Context(), args[0], version)
			if err != nil {
				return err
			}
			return o.printLayerVersion(v, "Layer")
		},
	}

	del := &cobra.Command{
		Use:   "delete NAME VERSION",
		Short: "Delete a layer version (functions that use it keep it; its number is not reused)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			version, err := layerVersionArg(args[1])
			if err != nil {
				return err
			}
			if err := o.client().DeleteLayerVersion(cmd.Context(), args[0], version); err != nil {
				return err
			}
			fmt.Fprintf(o.stdout, "Deleted layer %s version %d\n", args[0], version)
			return nil
		},
	}
	cmd.AddCommand(publish, list, versions, get, del)
	return cmd
}

// layerVersionArg parses a VERSION argument.
func layerVersionArg(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("VERSION must be a positive integer, not %q", s)
	}
	return n, nil
}

// LayerZip is the zip of a layer: the file at path if it is one (a .zip), else the directory's
// files zipped with their paths relative to it (hidden files, __pycache__ and lambdock.yaml
// left out, executables kept executable). Put Python modules under python/, Node.js packages
// under nodejs/node_modules/, executables under bin/ and libraries under lib/.
func LayerZip(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("layer content: %w", err)
	}
	if !fi.IsDir() {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("layer content: %w", err)
		}
		return b, nil
	}
	files, err := sourceFiles(path)
	if err != nil {
		return nil, err
	}
	return zipFiles(path, files)
}

// printLayerVersion prints a layer version as text (headed by what) or JSON.
func (o *options) printLayerVersion(v *lambdaapi.LayerVersion, what string) error {
	if o.output == OutputJSON {
		return o.printJSON(v)
	}
	fmt.Fprintf(o.stdout, "%s %s\n", what, v.LayerVersionArn)
	fmt.Fprintf(o.stdout, "  Version:     %d\n  Created:     %s\n  Runtimes:    %s\n  Description: %s\n",
		v.Version, v.CreatedDate, dash(strings.Join(v.CompatibleRuntimes, ",")), dash(v.Description))
	if v.Content != nil {
		fmt.Fprintf(o.stdout, "  CodeSha256:  %s\n  CodeSize:    %s\n", v.Content.CodeSha256, humanBytes(v.Content.CodeSize))
		if v.Content.Location != "" {
			fmt.Fprintf(o.stdout, "  Location:    %s\n", v.Content.Location)
		}
	}
	return nil
}
