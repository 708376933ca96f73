package store

// UsageRowsSQL is usageRowsSQL, for the test of its plans.
var UsageRowsSQL = usageRowsSQL
