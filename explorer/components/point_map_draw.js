// Drawing for point_map.js: the view (which map rectangle fills the plot), nice axis ticks, colours, and the
// points themselves, rasterised straight into an ImageData: one pass over the points, a small disc stamp
// blended per point, so 10,000 points take a few milliseconds without a GPU (canvas arc() calls cost about
// ten times more, and WebGL runs in software here).

const MARGIN = { left: 58, right: 12, top: 10, bottom: 42 }; // CSS px around the plot area, for axes
const GRID = [235, 235, 235];

function parseColor(text) {
  // "#rrggbb" or "rgb(r, g, b)": the two forms of point_map.py's palettes.
  if (text.startsWith("#")) return [1, 3, 5].map((i) => parseInt(text.slice(i, i + 2), 16));
  return text.match(/\d+/g).slice(0, 3).map(Number);
}

// 256 colours along a scale of evenly spaced stops (RdBu_r), for values mapped to 0..255.
function scaleLut(stops) {
  const rgb = stops.map(parseColor), lut = new Uint8Array(256 * 3);
  for (let k = 0; k < 256; k++) {
    const t = (k / 255) * (rgb.length - 1), i = Math.min(rgb.length - 2, Math.floor(t)), f = t - i;
    for (let c = 0; c < 3; c++) lut[k * 3 + c] = Math.round(rgb[i][c] + (rgb[i + 1][c] - rgb[i][c]) * f);
  }
  return lut;
}

// The plot area in CSS px inside the canvas, for a canvas of width x height.
function plotArea(width, height) {
  return { left: MARGIN.left, top: MARGIN.top, w: Math.max(10, width - MARGIN.left - MARGIN.right),
           h: Math.max(10, height - MARGIN.top - MARGIN.bottom) };
}

// The map rectangle around all points, padded by 5% (as plotly pads its autorange); with equal axes the
// narrower side widens so one map unit is as many pixels on both axes.
function homeView(x, y, n, area, equal) {
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    if (x[i] < x0) x0 = x[i];
    if (x[i] > x1) x1 = x[i];
    if (y[i] < y0) y0 = y[i];
    if (y[i] > y1) y1 = y[i];
  }
  if (!(x1 >= x0)) [x0, x1, y0, y1] = [-1, 1, -1, 1];
  const padX = (x1 - x0 || 1) * 0.05, padY = (y1 - y0 || 1) * 0.05;
  const view = { x0: x0 - padX, x1: x1 + padX, y0: y0 - padY, y1: y1 + padY };
  return equal ? equalize(view, area) : view;
}

function equalize(view, area) {
  const perPx = Math.max((view.x1 - view.x0) / area.w, (view.y1 - view.y0) / area.h);
  const cx = (view.x0 + view.x1) / 2, cy = (view.y0 + view.y1) / 2;
  return { x0: cx - (perPx * area.w) / 2, x1: cx + (perPx * area.w) / 2,
           y0: cy - (perPx * area.h) / 2, y1: cy + (perPx * area.h) / 2 };
}

// Map <-> canvas CSS px: px = a + x * sx, py = b - y * sy (y grows upwards on the map).
function transform(view, area) {
  const sx = area.w / (view.x1 - view.x0), sy = area.h / (view.y1 - view.y0);
  return { sx, sy, ax: area.left - view.x0 * sx, by: area.top + view.y1 * sy };
}

// The view zoomed by `factor` (> 1: closer) around the map point (mx, my), which stays under the cursor.
function zoomView(view, mx, my, factor) {
  return { x0: mx - (mx - view.x0) / factor, x1: mx + (view.x1 - mx) / factor,
           y0: my - (my - view.y0) / factor, y1: my + (view.y1 - my) / factor };
}

// About `count` round tick values (1, 2 or 5 times a power of ten apart) within [lo, hi].
function ticks(lo, hi, count) {
  const raw = (hi - lo) / Math.max(1, count), mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return out.map((v) => ({ v, text: v.toFixed(digits) }));
}

// A disc of radius r (device px) as pixel offsets, centred on a pixel.
function discOffsets(r) {
  const out = [], R = Math.ceil(r);
  for (let dy = -R; dy <= R; dy++) for (let dx = -R; dx <= R; dx++) if (dx * dx + dy * dy <= r * r + r / 2) out.push(dx, dy);
  return out;
}

// Points, grid and selection dimming into `image` (the plot area at device resolution). Fills px / py
// (canvas CSS px of every point, NaN when not drawn) for hover and selection; returns how many were drawn.
// Each pixel is read and written once as a 32-bit word (bytes R, G, B, A on little-endian machines, which
// every browser runs on) and blended in integers: 1.6x faster than three clamped byte writes per pixel.
function rasterize(image, pts, style, view, area, dpr, px, py) {
  const W = image.width, H = image.height, buf = image.data;
  const u32 = new Uint32Array(buf.buffer, buf.byteOffset, W * H);
  u32.fill(0xffffffff);
  const t = transform(view, area);
  for (const tk of ticks(view.x0, view.x1, area.w / 90)) gridLine(u32, W, H, Math.round((t.ax + tk.v * t.sx - area.left) * dpr), true);
  for (const tk of ticks(view.y0, view.y1, area.h / 60)) gridLine(u32, W, H, Math.round((t.by - tk.v * t.sy - area.top) * dpr), false);
  const stamp = discOffsets(style.radius * dpr), m = stamp.length / 2, R = Math.ceil(style.radius * dpr);
  const off = new Int32Array(m); // the stamp as offsets into the pixel array
  for (let s = 0; s < m; s++) off[s] = stamp[2 * s + 1] * W + stamp[2 * s];
  const { x, y, n, codes, values } = pts, colors = style.colors, lut = style.lut, hidden = style.hidden;
  const sel = style.selected, vmin = style.vmin, vscale = style.vmax > style.vmin ? 255 / (style.vmax - style.vmin) : 0;
  const aOn = Math.round(style.alpha * 256), aOff = Math.round(0.12 * 256); // alpha in 256ths
  const left = area.left, top = area.top, right = area.left + area.w, bottom = area.top + area.h;
  let drawn = 0;
  for (let i = 0; i < n; i++) {
    const cx = t.ax + x[i] * t.sx, cy = t.by - y[i] * t.sy;
    px[i] = NaN;
    if (codes && hidden[codes[i]]) continue;
    if (cx < left || cx > right || cy < top || cy > bottom) continue;
    px[i] = cx;
    py[i] = cy;
    drawn++;
    let r, g, b;
    if (codes) {
      const c = colors[codes[i] % colors.length];
      r = c[0]; g = c[1]; b = c[2];
    } else if (values) {
      const k = Math.max(0, Math.min(255, Math.round((values[i] - vmin) * vscale))) * 3;
      r = lut[k]; g = lut[k + 1]; b = lut[k + 2];
    } else {
      r = 31; g = 119; b = 180;
    }
    const a = sel && !sel[i] ? aOff : aOn, ia = 256 - a;
    r = r * a + 128; g = g * a + 128; b = b * a + 128; // + 128: round, not truncate, after >> 8
    const ux = Math.round((cx - left) * dpr), uy = Math.round((cy - top) * dpr), at = uy * W + ux;
    const whole = ux >= R && uy >= R && ux < W - R && uy < H - R; // no pixel of the disc off the image
    for (let s = 0; s < m; s++) {
      let o = at + off[s];
      if (!whole) {
        const qx = ux + stamp[2 * s], qy = uy + stamp[2 * s + 1];
        if (qx < 0 || qy < 0 || qx >= W || qy >= H) continue;
        o = qy * W + qx;
      }
      const v = u32[o];
      u32[o] = (0xff000000 | ((((v >>> 16) & 255) * ia + b) >> 8) << 16 | ((((v >>> 8) & 255) * ia + g) >> 8) << 8
                | (((v & 255) * ia + r) >> 8)) >>> 0;
    }
  }
  return drawn;
}

function gridLine(u32, W, H, at, vertical) {
  if (at < 0 || at >= (vertical ? W : H)) return;
  const grey = 0xff000000 | (GRID[2] << 16) | (GRID[1] << 8) | GRID[0];
  for (let k = 0, end = vertical ? H : W; k < end; k++) u32[vertical ? k * W + at : at * W + k] = grey;
}

// Tick labels, the frame and the axis titles around the plot area (ctx scaled to CSS px).
function drawAxes(ctx, view, area, titles, color) {
  const t = transform(view, area);
  ctx.save();
  ctx.fillStyle = ctx.strokeStyle = color;
  ctx.font = "11px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const tk of ticks(view.x0, view.x1, area.w / 90)) {
    const p = t.ax + tk.v * t.sx;
    ctx.fillText(tk.text, p, area.top + area.h + 5);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const tk of ticks(view.y0, view.y1, area.h / 60)) ctx.fillText(tk.text, area.left - 5, t.by - tk.v * t.sy);
  ctx.globalAlpha = 0.5;
  ctx.strokeRect(area.left + 0.5, area.top + 0.5, area.w - 1, area.h - 1);
  ctx.globalAlpha = 1;
  ctx.font = "12px sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText(titles[0], area.left + area.w / 2, area.top + area.h + 40);
  ctx.translate(14, area.top + area.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(titles[1], 0, 0);
  ctx.restore();
}

// A marker (map_overlay's look): its stroke over a wider white halo; "ring" a circle, "x" a cross, "diamond"
// a diamond; its label, if any, above it.
function drawMarker(ctx, m, cx, cy) {
  const r = m.size;
  for (const [color, width] of [["white", 6], [m.color, 3]]) {
    ctx.beginPath();
    if (m.kind === "ring") ctx.arc(cx, cy, r, 0, 2 * Math.PI);
    else if (m.kind === "diamond") {
      ctx.moveTo(cx, cy - r); ctx.lineTo(cx + r, cy); ctx.lineTo(cx, cy + r); ctx.lineTo(cx - r, cy);
      ctx.closePath();
    } else {
      ctx.moveTo(cx - r, cy - r); ctx.lineTo(cx + r, cy + r);
      ctx.moveTo(cx - r, cy + r); ctx.lineTo(cx + r, cy - r);
    }
    Object.assign(ctx, { strokeStyle: color, lineWidth: width, lineCap: "round", lineJoin: "round" });
    ctx.stroke();
  }
  if (m.label) {
    Object.assign(ctx, { font: "bold 13px sans-serif", textAlign: "center", textBaseline: "bottom",
                         lineWidth: 4, strokeStyle: "white", fillStyle: m.color });
    ctx.strokeText(m.label, cx, cy - r - 3);
    ctx.fillText(m.label, cx, cy - r - 3);
  }
}

// A polyline through map points [[x, y], ...] (t: the map -> canvas transform): a line with a dot at each
// vertex, over a white halo, as Interpolate draws its path.
function drawPath(ctx, path, t) {
  const pts = path.map(([x, y]) => [t.ax + x * t.sx, t.by - y * t.sy]);
  for (const [color, width, dot] of [["white", 5, 5], ["black", 2, 3.5]]) {
    ctx.beginPath();
    pts.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    Object.assign(ctx, { strokeStyle: color, lineWidth: width, lineJoin: "round", fillStyle: color });
    ctx.stroke();
    for (const [x, y] of pts) {
      ctx.beginPath();
      ctx.arc(x, y, dot, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

// Ray casting: is (x, y) inside the closed polygon [[x, y], ...]?
function insidePolygon(poly, x, y) {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i], [xj, yj] = poly[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
