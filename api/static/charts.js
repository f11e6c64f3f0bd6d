/* voc charts: small SVG charts drawn from JSON in data-chart attributes (no library, no network).
   <div data-chart='{"type": "line", "x": [...], "series": [{"name": "...", "values": [...]}]}'
        aria-label="what the chart shows"></div>
   Types: line (one or two series, the second may use a right axis), spark (a trend line), mix
   (negative/neutral/positive stacked bar), bars (horizontal bars with labels) and range (per row a
   mean, its middle half and whole range on an axis around zero). */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#2f5cd6", "#d6502f", "#2f9e6e", "#8a5cd6", "#c7921c"];
  var MIX = {negative: "#d6502f", neutral: "#9aa3b2", positive: "#2f9e6e"};

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function title(node, text) { el("title", {}, node).textContent = text; return node; }
  function svgFor(host, w, h) {
    var svg = el("svg", {viewBox: "0 0 " + w + " " + h, width: "100%", role: "img",
                         "aria-label": host.getAttribute("aria-label") || "chart", preserveAspectRatio: "none"});
    host.innerHTML = "";
    host.appendChild(svg);
    return svg;
  }
  function extent(values) {
    var v = values.filter(function (x) { return x !== null && x !== undefined && !isNaN(x); });
    if (!v.length) return [0, 1];
    var lo = Math.min.apply(null, v), hi = Math.max.apply(null, v);
    if (lo === hi) { lo -= 1; hi += 1; }
    return [lo, hi];
  }
  function fmt(v) {
    if (v === null || v === undefined) return "–";
    return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(2);
  }
  function path(points) {
    var d = "", pen = false;
    points.forEach(function (p) {
      if (p === null) { pen = false; return; }
      d += (pen ? " L" : " M") + p[0].toFixed(1) + " " + p[1].toFixed(1);
      pen = true;
    });
    return d.trim();
  }

  function line(host, spec) {
    var W = 640, H = 220, L = 44, R = spec.series.length > 1 && spec.series[1].axis === "right" ? 44 : 12, T = 12, B = 34;
    var svg = svgFor(host, W, H), n = spec.x.length;
    if (!n) { host.textContent = spec.empty || "No data yet."; return; }
    var xAt = function (i) { return L + (n === 1 ? (W - L - R) / 2 : i * (W - L - R) / (n - 1)); };
    var left = spec.series.filter(function (s) { return s.axis !== "right"; });
    var right = spec.series.filter(function (s) { return s.axis === "right"; });
    var axes = {left: extent([].concat.apply([spec.zero === false ? null : 0], left.map(function (s) { return s.values; })))};
    if (right.length) axes.right = extent([].concat.apply([], right.map(function (s) { return s.values; })).concat(spec.rightRange || []));
    function yAt(v, axis) { var e = axes[axis]; return T + (H - T - B) * (1 - (v - e[0]) / (e[1] - e[0])); }
    [0, 0.5, 1].forEach(function (f) {
      var y = T + (H - T - B) * f;
      el("line", {x1: L, x2: W - R, y1: y, y2: y, stroke: "#e3e6ec"}, svg);
      var lv = axes.left[1] - f * (axes.left[1] - axes.left[0]);
      el("text", {x: L - 6, y: y + 4, "text-anchor": "end", "font-size": 11, fill: "#5b6475"}, svg).textContent = fmt(lv);
      if (axes.right) {
        var rv = axes.right[1] - f * (axes.right[1] - axes.right[0]);
        el("text", {x: W - R + 6, y: y + 4, "font-size": 11, fill: "#5b6475"}, svg).textContent = fmt(rv);
      }
    });
    var step = Math.max(1, Math.ceil(n / 8));
    spec.x.forEach(function (label, i) {
      if (i % step && (i !== n - 1 || (n - 1) % step < step / 2)) return;
      el("text", {x: xAt(i), y: H - B + 16, "text-anchor": "middle", "font-size": 11, fill: "#5b6475"}, svg).textContent = label;
    });
    spec.series.forEach(function (s, k) {
      var axis = s.axis === "right" ? "right" : "left", color = s.color || COLORS[k % COLORS.length];
      var pts = s.values.map(function (v, i) { return v === null || v === undefined ? null : [xAt(i), yAt(v, axis)]; });
      el("path", {d: path(pts), fill: "none", stroke: color, "stroke-width": 2, "stroke-dasharray": s.dashed ? "5 4" : ""}, svg);
      pts.forEach(function (p, i) {
        if (p) title(el("circle", {cx: p[0], cy: p[1], r: 3, fill: color}, svg), s.name + ", " + spec.x[i] + ": " + fmt(s.values[i]));
      });
    });
    var legend = document.createElement("p");
    legend.className = "legend";
    spec.series.forEach(function (s, k) {
      var item = document.createElement("span");
      item.innerHTML = '<i style="background:' + (s.color || COLORS[k % COLORS.length]) + '"></i>';
      item.appendChild(document.createTextNode(s.name + (s.axis === "right" ? " (right axis)" : "")));
      legend.appendChild(item);
    });
    host.appendChild(legend);
  }

  function spark(host, spec) {
    var W = 120, H = 28, v = spec.values || [];
    var svg = svgFor(host, W, H);
    if (v.length < 2) { el("line", {x1: 0, x2: W, y1: H / 2, y2: H / 2, stroke: "#c9ced8"}, svg); return; }
    var e = extent(v.concat([0]));
    var pts = v.map(function (x, i) { return [i * W / (v.length - 1), 2 + (H - 4) * (1 - (x - e[0]) / (e[1] - e[0]))]; });
    el("path", {d: path(pts), fill: "none", stroke: spec.color || COLORS[0], "stroke-width": 1.6}, svg);
  }

  function mix(host, spec) {
    var W = 200, H = 14, total = (spec.negative || 0) + (spec.neutral || 0) + (spec.positive || 0);
    var svg = svgFor(host, W, H), x = 0;
    if (!total) { el("rect", {x: 0, y: 0, width: W, height: H, fill: "#eef0f4"}, svg); return; }
    ["negative", "neutral", "positive"].forEach(function (k) {
      var w = W * (spec[k] || 0) / total;
      if (w > 0) title(el("rect", {x: x, y: 0, width: w, height: H, fill: MIX[k]}, svg),
                       k + ": " + spec[k] + " (" + Math.round(100 * spec[k] / total) + "%)");
      x += w;
    });
  }

  function bars(host, spec) {
    var rowH = 24, W = 640, L = spec.labelWidth || 180, n = spec.labels.length, H = Math.max(rowH, n * rowH);
    var svg = svgFor(host, W, H);
    if (!n) { host.textContent = spec.empty || "No data yet."; return; }
    var hi = Math.max.apply(null, spec.values.concat([1]));
    spec.labels.forEach(function (label, i) {
      var y = i * rowH, w = (W - L - 60) * spec.values[i] / hi;
      el("text", {x: L - 8, y: y + 16, "text-anchor": "end", "font-size": 12, fill: "#1d2330"}, svg).textContent = label;
      title(el("rect", {x: L, y: y + 4, width: Math.max(w, 1), height: rowH - 8, rx: 3,
                        fill: (spec.colors && spec.colors[i]) || COLORS[0]}, svg), label + ": " + fmt(spec.values[i]));
      el("text", {x: L + w + 6, y: y + 16, "font-size": 12, fill: "#5b6475"}, svg).textContent = fmt(spec.values[i]);
    });
  }

  /* range: one row per item, on a shared axis around zero: its whole range (thin line), the middle
     half (band), each value (small dots) and the mean (large dot, green above +margin, red below
     -margin; hollow when the row has few values). spec.rows: [{label, mean, low, high, min, max,
     points, few}]; drawn at the host's own width
     so that labels stay legible on a phone. */
  function range(host, spec) {
    var rows = spec.rows || [], margin = spec.margin === undefined ? 0.1 : spec.margin;
    if (!rows.length) { host.textContent = spec.empty || "No data yet."; return; }
    var W = Math.max(300, Math.min(900, Math.round(host.clientWidth || 640))), rowH = 30, T = 22, B = 28;
    var L = Math.min(150, Math.round(W * 0.3)), R = 54, H = T + rows.length * rowH + B;
    var svg = svgFor(host, W, H);
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    var lim = 0.5;
    rows.forEach(function (r) {
      [r.min, r.max, r.mean].concat(r.points || []).forEach(function (v) {
        if (v !== null && v !== undefined) lim = Math.max(lim, Math.abs(v));
      });
    });
    lim = Math.ceil(lim * 2) / 2;
    var xAt = function (v) { return L + (W - L - R) * (v + lim) / (2 * lim); };
    var ticks = W - L - R < 260 ? [-lim, 0, lim] : [-lim, -lim / 2, 0, lim / 2, lim];
    ticks.forEach(function (t) {
      el("line", {x1: xAt(t), x2: xAt(t), y1: T, y2: H - B, stroke: t === 0 ? "#8a93a3" : "#e3e6ec",
                  "stroke-dasharray": t === 0 ? "4 3" : ""}, svg);
      el("text", {x: xAt(t), y: H - B + 16, "text-anchor": "middle", "font-size": 12, fill: "#5b6475"}, svg)
        .textContent = (t > 0 ? "+" : "") + fmt(t);
    });
    el("text", {x: xAt(0), y: T - 8, "text-anchor": "middle", "font-size": 12, fill: "#5b6475"}, svg)
      .textContent = spec.zeroLabel || "0";
    rows.forEach(function (r, i) {
      var y = T + i * rowH + rowH / 2, color = r.mean >= margin ? "#2f9e6e" : (r.mean <= -margin ? "#d6502f" : "#5b6475");
      var g = el("g", {}, svg);
      title(g, r.label + ": mean " + fmt(r.mean) + (r.low !== null && r.low !== undefined ?
        ", middle half " + fmt(r.low) + " to " + fmt(r.high) : "") + (r.min !== null && r.min !== undefined ?
        ", range " + fmt(r.min) + " to " + fmt(r.max) : ""));
      el("text", {x: L - 8, y: y + 4, "text-anchor": "end", "font-size": 13, fill: "#1d2330"}, g).textContent = r.label;
      if (r.min !== null && r.min !== undefined)
        el("line", {x1: xAt(r.min), x2: xAt(r.max), y1: y, y2: y, stroke: "#9aa3b2", "stroke-width": 2}, g);
      if (r.low !== null && r.low !== undefined)
        el("rect", {x: xAt(r.low), y: y - 7, width: Math.max(2, xAt(r.high) - xAt(r.low)), height: 14, rx: 3,
                    fill: color, "fill-opacity": 0.22, stroke: color, "stroke-opacity": 0.6}, g);
      (r.points || []).forEach(function (v) {
        el("circle", {cx: xAt(v), cy: y, r: 2.5, fill: "#1d2330", "fill-opacity": 0.45}, g);
      });
      el("circle", r.few ? {cx: xAt(r.mean), cy: y, r: 5, fill: "#fff", stroke: color, "stroke-width": 2}
                         : {cx: xAt(r.mean), cy: y, r: 6, fill: color, stroke: "#fff", "stroke-width": 1.5}, g);
      el("text", {x: W - R + 8, y: y + 4, "font-size": 13, fill: color, "font-weight": 600}, g)
        .textContent = (r.mean > 0 ? "+" : "") + fmt(r.mean);
    });
  }

  var TYPES = {line: line, spark: spark, mix: mix, bars: bars, range: range};

  function render(root) {
    (root || document).querySelectorAll("[data-chart]").forEach(function (host) {
      try {
        var spec = JSON.parse(host.getAttribute("data-chart"));
        (TYPES[spec.type] || function () {})(host, spec);
        host.setAttribute("data-drawn", "1");
      } catch (err) {
        host.textContent = "(chart unavailable)";
      }
    });
  }
  window.VocCharts = {render: render};
  document.addEventListener("DOMContentLoaded", function () { render(document); });
})();
