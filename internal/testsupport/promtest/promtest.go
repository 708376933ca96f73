// Package promtest reads a Prometheus registry in tests: every sample as one number by name.
package promtest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Values gathers reg into a map from the metric's name, followed by "/<label value>" for each of
// its labels in order, to the sample's value (a counter's or a gauge's).
func Values(t testing.TB, reg prometheus.Gatherer) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			got[key] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return got
}
