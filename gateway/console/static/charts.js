// Small inline-SVG charts of the stats API's points: bars for counts, lines for durations.
// Every label is a text node; nothing here parses markup.

const NS = 'http://www.w3.org/2000/svg';
const W = 320, H = 120, PAD_L = 40, PAD_B = 18, PAD_T = 8;

function svg(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

function label(x, y, text, anchor) {
  const t = svg('text', { x, y, 'text-anchor': anchor || 'start', class: 'axis' });
  t.textContent = text;
  return t;
}

const fmt = (v) => (v >= 100 ? Math.round(v).toString() : v >= 1 ? v.toFixed(1) : v === 0 ? '0' : v.toPrecision(2));

function timeLabel(iso, stepSeconds) {
  const d = new Date(iso);
  if (stepSeconds >= 86400) return d.toISOString().slice(5, 10);
  return d.toISOString().slice(11, 16);
}

// chart draws series ([{key, cls, name}]) of stats points into an <svg> and returns it: bars for
// one series, lines for several. data-total is the sum of the first series (for tests and
// screen readers), data-points the number of buckets.
export function chart(title, points, stepSeconds, series) {
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
  const t = svg('title');
  t.textContent = title;
  root.appendChild(t);
  const vals = series.map((s) => points.map((p) => Number(p[s.key]) || 0));
  const top = Math.max(0, ...vals.flat());
  const max = top > 0 ? top : 1;
  const plotW = W - PAD_L - 4, plotH = H - PAD_B - PAD_T;
  const n = Math.max(points.length, 1);
  const bw = plotW / n;
  const y = (v) => PAD_T + plotH - (v / max) * plotH;
  root.appendChild(svg('line', { x1: PAD_L, y1: PAD_T + plotH, x2: W - 4, y2: PAD_T + plotH, class: 'grid' }));
  root.appendChild(svg('line', { x1: PAD_L, y1: PAD_T, x2: W - 4, y2: PAD_T, class: 'grid faint' }));
  root.appendChild(label(PAD_L - 4, PAD_T + 8, fmt(top), 'end'));
  root.appendChild(label(PAD_L - 4, PAD_T + plotH, '0', 'end'));
  if (points.length) {
    root.appendChild(label(PAD_L, H - 4, timeLabel(points[0].Time, stepSeconds)));
    root.appendChild(label(W - 4, H - 4, timeLabel(points[points.length - 1].Time, stepSeconds), 'end'));
  }
  if (series.length === 1) {
    vals[0].forEach((v, i) => {
      if (v <= 0) return;
      const r = svg('rect', { x: PAD_L + i * bw + bw * 0.1, y: y(v), width: Math.max(bw * 0.8, 1),
        height: PAD_T + plotH - y(v), class: 'bar ' + series[0].cls });
      const tip = svg('title');
      tip.textContent = `${points[i].Time}: ${fmt(v)}`;
      r.appendChild(tip);
      root.appendChild(r);
    });
  } else {
    // Durations exist only in buckets with invocations: lines join those, with a dot on each.
    const has = points.map((p) => Number(p.Invocations) > 0);
    series.forEach((s, si) => {
      let d = '', prev = false;
      vals[si].forEach((v, i) => {
        if (!has[i]) { prev = false; return; }
        const x = (PAD_L + i * bw + bw / 2).toFixed(1), yy = y(v).toFixed(1);
        d += `${prev ? 'L' : 'M'}${x},${yy}`;
        prev = true;
        const dot = svg('circle', { cx: x, cy: yy, r: 2, class: 'dot ' + s.cls });
        const tip = svg('title');
        tip.textContent = `${points[i].Time}: ${fmt(v)} ms`;
        dot.appendChild(tip);
        root.appendChild(dot);
      });
      if (d) root.appendChild(svg('path', { d, class: 'line ' + s.cls }));
    });
  }
  root.setAttribute('data-total', String(vals[0].reduce((a, b) => a + b, 0)));
  root.setAttribute('data-points', String(points.length));
  return root;
}
