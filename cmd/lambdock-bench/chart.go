package main

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // png
	_ "gonum.org/v1/plot/vg/vgsvg" // svg
)

// Chart geometry.
const (
	chartWidth    = 17 * vg.Centimeter
	barHeight     = 0.55 * vg.Centimeter // per run of a panel
	panelOverhead = 2.6 * vg.Centimeter  // title, axis, padding
)

// Bar colours: p50, p99, throughput.
var (
	colorP50        = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colorP99        = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	colorThroughput = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
)

// writeChart draws the report as horizontal bars in three panels — p50/p99 latency of the warm
// paths, of the cold paths, and throughput — into path; its extension (.svg or .png) chooses
// the format.
func writeChart(rep *report, path string) error {
	format := strings.TrimPrefix(filepath.Ext(path), ".")
	if format != "svg" && format != "png" {
		return fmt.Errorf("chart %s: the name must end in .svg or .png", path)
	}
	var warm, cold, thr []row
	for _, s := range scenarios {
		if s == scenario7 { // seconds of queueing behind a concurrency limit: off every panel's scale
			continue
		}
		for _, r := range rep.rows[s] {
			if r.cold {
				cold = append(cold, r)
			} else {
				warm = append(warm, r)
			}
			// Scenario 3's "throughput" is only 1 / mean cold start; scenario 6's accepts per
			// second are on another scale (thousands) that would flatten every other bar.
			if s != scenario3 && s != scenario6 {
				thr = append(thr, r)
			}
		}
	}
	type panel struct {
		p    *plot.Plot
		bars int
	}
	var panels []panel
	for _, pc := range []struct {
		title string
		rows  []row
	}{{"Latency, warm paths (ms)", warm}, {"Latency, cold paths (ms)", cold}} {
		if len(pc.rows) == 0 {
			continue
		}
		p, err := latencyPlot(pc.title, pc.rows)
		if err != nil {
			return err
		}
		panels = append(panels, panel{p, len(pc.rows) * 2})
	}
	if len(thr) > 0 {
		p, err := throughputPlot(thr)
		if err != nil {
			return err
		}
		panels = append(panels, panel{p, len(thr)})
	}
	if len(panels) == 0 {
		return nil
	}
	height := vg.Length(0)
	for _, pn := range panels {
		height += panelOverhead + vg.Length(pn.bars)*barHeight
	}
	cw, err := draw.NewFormattedCanvas(chartWidth, height, format)
	if err != nil {
		return err
	}
	dc := draw.New(cw)
	top := height
	for _, pn := range panels {
		h := panelOverhead + vg.Length(pn.bars)*barHeight
		c := dc
		c.Rectangle = vg.Rectangle{Min: vg.Point{X: 0, Y: top - h}, Max: vg.Point{X: chartWidth, Y: top}}
		pn.p.Draw(c)
		top -= h
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := cw.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write chart: %w", err)
	}
	return f.Close()
}

// latencyPlot is one panel of p50 and p99 bars per run, each labelled with its value.
func latencyPlot(title string, rows []row) (*plot.Plot, error) {
	p := newPanel(title, rows)
	w := barHeight * 0.9
	for _, q := range []struct {
		name  string
		pct   float64
		color color.Color
		off   vg.Length
	}{{"p50", 0.50, colorP50, w / 2}, {"p99", 0.99, colorP99, -w / 2}} {
		vals := make(plotter.Values, len(rows))
		for j, r := range reversed(rows) {
			vals[j] = msFloat(r.r.Percentile(q.pct))
		}
		if err := addBars(p, vals, w, q.off, q.color); err != nil {
			return nil, err
		}
		p.Legend.Add(q.name, legendSwatch(q.color))
	}
	return p, nil
}

// throughputPlot is one panel of a throughput bar per run.
func throughputPlot(rows []row) (*plot.Plot, error) {
	p := newPanel("Throughput (successful requests/s)", rows)
	vals := make(plotter.Values, len(rows))
	for j, r := range reversed(rows) {
		vals[j] = r.r.Throughput()
	}
	if err := addBars(p, vals, barHeight*0.8, 0, colorThroughput); err != nil {
		return nil, err
	}
	return p, nil
}

// newPanel is a plot with the runs' short names on the Y axis, the first at the top.
func newPanel(title string, rows []row) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(11)
	names := make([]string, len(rows))
	for j, r := range reversed(rows) {
		names[j] = r.short
	}
	p.NominalY(names...)
	p.X.Min = 0
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Add(plotter.NewGrid())
	return p
}

// addBars adds horizontal bars of vals at offset off, each with its value printed after it.
func addBars(p *plot.Plot, vals plotter.Values, width, off vg.Length, c color.Color) error {
	bars, err := plotter.NewBarChart(vals, width)
	if err != nil {
		return err
	}
	bars.Horizontal = true
	bars.Offset = off
	bars.Color = c
	bars.LineStyle.Width = 0
	p.Add(bars)
	xys := make(plotter.XYs, len(vals))
	labels := make([]string, len(vals))
	maxV := 0.0
	for i, v := range vals {
		xys[i] = plotter.XY{X: v, Y: float64(i)}
		labels[i] = shortNumber(v)
		maxV = max(maxV, v)
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font.Size = vg.Points(7)
	}
	l.Offset = vg.Point{X: vg.Points(2), Y: off - vg.Points(3)}
	p.Add(l)
	// Room on the right for the value labels and the legend.
	p.X.Max = max(p.X.Max, maxV*1.3)
	return nil
}

// shortNumber formats v with three significant digits at most (but all of its integer part).
func shortNumber(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// legendSwatch is a legend entry drawn as a filled box of c.
func legendSwatch(c color.Color) plot.Thumbnailer {
	return &swatch{c}
}

type swatch struct{ c color.Color }

// Thumbnail draws the swatch.
func (s *swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(s.c, c.ClipPolygonY([]vg.Point{c.Min, {X: c.Min.X, Y: c.Max.Y}, c.Max, {X: c.Max.X, Y: c.Min.Y}}))
}

// reversed is rows in reverse order: NominalY puts the first name at the bottom.
func reversed(rows []row) []row {
	out := make([]row, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = r
	}
	return out
}
