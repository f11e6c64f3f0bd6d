/* voc charts: small SVG charts drawn from JSON in data-chart attributes (no library, no network).
   <div data-chart='{"type": "line", "x": [...], "series": [{"name": "...", "values": [...]}]}'
        aria-label="what the chart shows"></div>
   Types: line (one or two series, the second may use a right axis), spark (a trend line), mix
   (negative/neutral/positive stacked bar) and bars (horizontal bars with labels). */
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
      if (i % step && i !== n - 1) return;
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

  var TYPES = {line: line, spark: spark, mix: mix, bars: bars};

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
