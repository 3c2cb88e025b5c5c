// Ezio dashboard plots: the browser's own canvas, no library (labs are often offline).
"use strict";

const Plots = (() => {
  // A canvas drawn at the screen's pixel density; returns its 2D context in CSS pixels.
  function prepare(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || canvas.width, h = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return { ctx, w, h };
  }

  // Lines over time: series = [{ values, color, dash }], all the same length; ceiling = a
  // horizontal reference (the line rate) drawn dashed when > 0. Labels: top value, span.
  function lines(canvas, series, ceiling, format, spanText) {
    const { ctx, w, h } = prepare(canvas);
    const pad = { l: 4, r: 4, t: 16, b: 14 };
    const n = Math.max(2, ...series.map((s) => s.values.length));
    let max = ceiling > 0 ? ceiling * 1.05 : 0;
    for (const s of series) for (const v of s.values) if (v > max) max = v;
    if (max <= 0) max = 1;
    const x = (i) => pad.l + ((w - pad.l - pad.r) * i) / (n - 1);
    const y = (v) => h - pad.b - ((h - pad.t - pad.b) * v) / max;
    ctx.strokeStyle = "#d5d9df";
    ctx.lineWidth = 1;
    for (const f of [0.25, 0.5, 0.75, 1]) {
      ctx.beginPath(); ctx.moveTo(pad.l, y(max * f)); ctx.lineTo(w - pad.r, y(max * f)); ctx.stroke();
    }
    if (ceiling > 0) {
      ctx.strokeStyle = "#c0392b"; ctx.setLineDash([6, 4]);
      ctx.beginPath(); ctx.moveTo(pad.l, y(ceiling)); ctx.lineTo(w - pad.r, y(ceiling)); ctx.stroke();
      ctx.setLineDash([]);
    }
    for (const s of series) {
      const off = n - s.values.length;
      ctx.strokeStyle = s.color; ctx.lineWidth = 2; ctx.setLineDash(s.dash || []);
      ctx.beginPath();
      s.values.forEach((v, i) => (i ? ctx.lineTo(x(i + off), y(v)) : ctx.moveTo(x(i + off), y(v))));
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.fillStyle = "#6b7380"; ctx.font = "11px system-ui, sans-serif";
    ctx.fillText(format(max), pad.l + 2, 11);
    if (spanText) { ctx.textAlign = "right"; ctx.fillText(spanText, w - pad.r, h - 2); ctx.textAlign = "left"; }
  }

  // A tiny line of the last values of one machine.
  function sparkline(canvas, values, color) {
    const { ctx, w, h } = prepare(canvas);
    if (values.length < 2) return;
    let max = 0;
    for (const v of values) if (v > max) max = v;
    if (max <= 0) max = 1;
    ctx.strokeStyle = color; ctx.lineWidth = 1.5;
    ctx.beginPath();
    values.forEach((v, i) => {
      const px = (w * i) / (values.length - 1), py = h - 1 - ((h - 2) * v) / max;
      i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
    });
    ctx.stroke();
  }

  // Colour of a region held by `count` machines out of `total`: red (nobody) to green (all).
  function heat(count, total) {
    if (count <= 0) return "#c0392b";
    const f = Math.min(1, count / Math.max(1, total));
    const hue = 40 + 90 * f;
    return `hsl(${hue}, 70%, ${55 - 15 * f}%)`;
  }

  // The piece map: one cell per region of the image, coloured by how many machines hold it.
  function strip(canvas, regions, total) {
    const { ctx, w, h } = prepare(canvas);
    const n = regions.length;
    if (!n) return;
    for (let i = 0; i < n; i++) {
      ctx.fillStyle = heat(regions[i], total);
      const x0 = Math.floor((w * i) / n), x1 = Math.floor((w * (i + 1)) / n);
      ctx.fillRect(x0, 0, Math.max(1, x1 - x0), h);
    }
  }

  // Sorted bars (time to done per machine), failed ones red; labels: slowest and fastest.
  function bars(canvas, items, format) {
    const { ctx, w, h } = prepare(canvas);
    if (!items.length) return;
    const max = Math.max(...items.map((i) => i.value)) || 1;
    const bw = (w - 8) / items.length;
    items.forEach((it, i) => {
      const bh = ((h - 18) * it.value) / max;
      ctx.fillStyle = it.ok ? "#3b82f6" : "#c0392b";
      ctx.fillRect(4 + i * bw, h - 2 - bh, Math.max(1, bw - (bw > 4 ? 1 : 0)), bh);
    });
    ctx.fillStyle = "#6b7380"; ctx.font = "11px system-ui, sans-serif";
    ctx.fillText("slowest " + format(max), 4, 11);
  }

  return { lines, sparkline, strip, bars, heat };
})();
