package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// ListAllVersions returns up to maxItems of the account's functions in every version: each
// function's $LATEST (Version 0) followed by its published versions, by name then version,
// after marker ("" for the first page), and the marker of the next page ("" on the last). A
// marker is "<name>:<version>" (0 for $LATEST), as the previous page returned it; ErrNotFound for
// one that is not.
func (s *Store) ListAllVersions(ctx context.Context, account, marker string, maxItems int) ([]*Function, string, error) {
	name, after := "", -1
	if marker != "" {
		i := strings.LastIndexByte(marker, ':')
		n, err := strconv.Atoi(marker[i+1:])
		if i <= 0 || err != nil || n < 0 {
			return nil, "", fmt.Errorf("store: list all versions: marker %q: %w", marker, ErrNotFound)
		}
		name, after = marker[:i], n
	}
	return listPage(ctx, s, "all versions", `SELECT * FROM (
			SELECT 0 AS version, `+functionColumns+` FROM functions WHERE account_id = $1
			UNION ALL
			SELECT version, `+versionColumns+` FROM function_versions WHERE account_id = $1
		) v WHERE (name, version) > ($2, $3) ORDER BY name, version LIMIT $4`,
		scanNumberedVersion,
		func(f *Function) string { return f.Name + ":" + strconv.Itoa(f.Version) }, maxItems, account, name, after)
}
