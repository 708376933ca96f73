package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
)

// printJSON prints v as indented JSON on stdout.
func (o *options) printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	_, err = fmt.Fprintf(o.stdout, "%s\n", b)
	return err
}

// table starts a text table on stdout, with header (tab-separated columns) as its first line
// unless it is empty. Write rows with tabs between the cells, then Flush.
func (o *options) table(header string) *tabwriter.Writer {
	w := tabwriter.NewWriter(o.stdout, 0, 4, 2, ' ', 0)
	if header != "" {
		fmt.Fprintln(w, header)
	}
	return w
}
