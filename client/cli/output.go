package cli

import (
	"encoding/json"
	"fmt"
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
