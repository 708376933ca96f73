package cli

// allPages appends to seed the items of every page list returns, from the first (marker "")
// until a page has no next marker.
func allPages[T any](seed []T, list func(marker string) (items []T, next string, err error)) ([]T, error) {
	all := seed
	for marker := ""; ; {
		items, next, err := list(marker)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if marker = next; marker == "" {
			return all, nil
		}
	}
}
