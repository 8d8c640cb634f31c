// The latent map on a 2-D canvas (explorer/components/point_map.py): points coloured by class or value, a
// legend that hides classes, a colour bar, pan (drag), zoom (wheel, around the cursor), reset (double-click),
// hover with the point's image, clicks (map_overlay's MapClick and "latent-lab:pick"), markers, and box and
// lasso selection. program_loader.js (base64ToFloat32), points.js (the sprite sheet) and point_map_draw.js
// come in front of this file.

const MIN_DRAG_PX = 8; // less between press and release is a click, not a pan (plotly's threshold too)
const maps = new WeakMap(); // component root -> state that survives reruns
const registry = (globalThis.__latentLabMaps ??= {}); // key -> test hooks (toPixel, toMap, stats)
const mapData = (globalThis.__latentLabMapData ??= new Map()); // hash -> Promise of the arrays

async function fetchArray(url, b64, Type) {
  if (b64 !== undefined && b64 !== null) return new Type(base64ToFloat32(b64).buffer);
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} (is server.enableStaticServing on?)`);
  return new Type(await r.arrayBuffer());
}

async function fetchMap(m) {
  const wantColor = m.kind !== "none";
  const [xy, col] = await Promise.all([
    fetchArray(m.xy_url, m.xy_b64, Float32Array),
    wantColor ? fetchArray(m.color_url, m.color_b64, m.kind === "label" ? Int32Array : Float32Array) : null,
  ]);
  if (xy.length !== 2 * m.n || (col && col.length !== m.n)) throw new Error(`map data does not hold ${m.n} points`);
  const x = new Float32Array(m.n), y = new Float32Array(m.n);
  for (let i = 0; i < m.n; i++) { x[i] = xy[2 * i]; y[i] = xy[2 * i + 1]; }
  return { n: m.n, x, y, codes: m.kind === "label" ? col : null, values: m.kind === "value" ? col : null };
}

function loadMap(m) {
  if (!mapData.has(m.hash)) {
    const promise = fetchMap(m);
    promise.catch(() => mapData.delete(m.hash)); // let a later render retry
    mapData.set(m.hash, promise);
  }
  return mapData.get(m.hash);
}

// --- drawing -------------------------------------------------------------------------------------------

function layout(inst) {
  const width = Math.max(120, Math.floor(inst.plot.clientWidth)), height = inst.height, dpr = window.devicePixelRatio || 1;
  if (width === inst.width && dpr === inst.dpr && inst.base.height === Math.round(height * dpr)) return false;
  Object.assign(inst, { width, dpr, area: plotArea(width, height) });
  for (const c of [inst.base, inst.over]) {
    Object.assign(c, { width: Math.round(width * dpr), height: Math.round(height * dpr) });
    Object.assign(c.style, { width: `${width}px`, height: `${height}px` });
  }
  inst.image = inst.baseCtx.createImageData(Math.round(inst.area.w * dpr), Math.round(inst.area.h * dpr));
  if (inst.view && inst.equal) inst.view = equalize(inst.view, inst.area);
  return true;
}

function redraw(inst) {
  inst.frame = 0;
  if (!inst.pts) return;
  const t0 = performance.now(), { area, dpr, baseCtx: ctx } = inst;
  const style = { colors: inst.colors, lut: inst.lut, hidden: inst.hidden, selected: inst.selectedMask,
                  vmin: inst.vmin, vmax: inst.vmax, radius: inst.size / 2, alpha: 0.8 };
  const drawn = rasterize(inst.image, inst.pts, style, inst.view, area, dpr, inst.px, inst.py);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, inst.base.width, inst.base.height);
  ctx.putImageData(inst.image, Math.round(area.left * dpr), Math.round(area.top * dpr));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  drawAxes(ctx, inst.view, area, inst.titles, getComputedStyle(inst.root).color || "#333");
  drawOverlay(inst);
  const ms = performance.now() - t0;
  inst.redraws += 1;
  inst.times.push(ms);
  if (inst.times.length > 240) inst.times.shift();
  // Hooks for tests and bench/: how many points this redraw drew, when, and how long it took.
  Object.assign(inst.root.dataset, { pointsDrawn: drawn, drawnAt: performance.now(), redrawMs: ms.toFixed(3),
                                     redraws: inst.redraws });
}

function schedule(inst) {
  if (!inst.frame) inst.frame = requestAnimationFrame(() => redraw(inst));
}

// Hover ring, markers and the box or lasso being drawn: the upper canvas, cheap to redraw on every move.
function drawOverlay(inst) {
  const ctx = inst.overCtx, { area, dpr } = inst, t = transform(inst.view, area);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, inst.over.width, inst.over.height);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.save();
  ctx.beginPath();
  ctx.rect(area.left, area.top, area.w, area.h);
  ctx.clip(); // markers panned out of view are hidden, like the points
  if (inst.hover !== null && !Number.isNaN(inst.px[inst.hover])) {
    ctx.beginPath();
    ctx.arc(inst.px[inst.hover], inst.py[inst.hover], inst.size / 2 + 3, 0, 2 * Math.PI);
    Object.assign(ctx, { strokeStyle: "#222", lineWidth: 2 });
    ctx.stroke();
  }
  if (inst.path) drawPath(ctx, inst.path, t);
  const shown = inst.markers.map((marker) => (marker.kind === "x" && inst.liveXY
    ? { ...marker, x: inst.liveXY[0], y: inst.liveXY[1] } : marker));
  for (const m of shown) drawMarker(ctx, m, t.ax + m.x * t.sx, t.by - m.y * t.sy);
  // Hook for tests: the markers as drawn, in map coordinates.
  inst.root.dataset.markers = JSON.stringify(shown.map((m) => ({ kind: m.kind, x: m.x, y: m.y,
                                                               ...(m.label ? { label: m.label } : {}) })));
  inst.root.dataset.path = inst.path ? inst.path.length : 0;
  const d = inst.drag;
  if (d && d.moved && d.mode !== "pan") {
    ctx.beginPath();
    if (d.mode === "box") ctx.rect(d.x0, d.y0, d.x - d.x0, d.y - d.y0);
    else d.path.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    if (d.mode === "lasso") ctx.closePath();
    Object.assign(ctx, { fillStyle: "rgba(31, 119, 180, 0.1)", strokeStyle: "#1f77b4", lineWidth: 1 });
    ctx.setLineDash([4, 3]);
    ctx.fill();
    ctx.stroke();
  }
  ctx.restore();
}

// --- finding points --------------------------------------------------------------------------------------

// The drawn point nearest (cx, cy) (canvas CSS px) whose edge is within hover_px, or null.
function nearest(inst, cx, cy) {
  const { px, py } = inst, n = inst.pts ? inst.pts.n : 0, radius = inst.size / 2;
  let best = inst.reach + radius, bestSq = best * best, index = null;
  for (let i = 0; i < n; i++) {
    const dx = px[i] - cx, dy = py[i] - cy, d = dx * dx + dy * dy; // NaN (not drawn) never compares below
    if (d <= bestSq) { bestSq = d; index = i; }
  }
  return index;
}

function toMap(inst, cx, cy) {
  const t = transform(inst.view, inst.area);
  return [(cx - t.ax) / t.sx, (t.by - cy) / t.sy];
}

function selectIn(inst, test) {
  const out = [];
  for (let i = 0; i < inst.pts.n; i++) if (!Number.isNaN(inst.px[i]) && test(inst.px[i], inst.py[i])) out.push(i);
  return out;
}

// --- the tooltip ----------------------------------------------------------------------------------------

function labelName(inst, i) {
  if (inst.pts.codes) return inst.legend[inst.pts.codes[i]].name;
  if (inst.pts.values) {
    // coloured by a value, the label still names the point (from the point set's meta, once loaded)
    const meta = inst.pointSet && inst.pointSet.meta, y = meta && meta.labels && i < meta.labels.length ? meta.labels[i] : null;
    const label = y === null ? "" : `label ${meta.names && y < meta.names.length ? meta.names[y] : y} · `;
    return `${label}${inst.colorTitle || "value"} ${inst.pts.values[i].toPrecision(3)}`;
  }
  return "";
}

// At most `max` characters (code points, as Python counts them), the last an ellipsis when cut: a long sentence
// would make the tooltip cover the map.
function shortened(text, max) {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

function showTooltip(inst, i) {
  const tip = inst.tip;
  if (i === null) {
    tip.hidden = true;
    delete inst.root.dataset.hoverIndex;
    return;
  }
  inst.root.dataset.hoverIndex = i;
  tip.dataset.index = i;
  const name = labelName(inst, i);
  tip.querySelector(".tip-text").textContent = `#${i}${name ? ` · ${name}` : ""}`;
  // A text checkpoint's sentences come in the point set's meta, the copy the text selection view reads too.
  const set = inst.pointSet, texts = set && set.meta.texts, sentence = tip.querySelector(".tip-sentence");
  sentence.textContent = texts && i < texts.length ? shortened(texts[i], inst.tipChars) : "";
  sentence.hidden = !sentence.textContent;
  const image = tip.querySelector(".tip-image");
  image.hidden = !(set && set.sheet && i < set.meta.n);
  delete tip.dataset.imageIndex;
  if (!image.hidden) {
    const [h, w] = set.meta.tile, cols = set.meta.cols, scale = Math.max(1, Math.floor(56 / Math.max(h, w)));
    Object.assign(image, { width: w, height: h });
    Object.assign(image.style, { width: `${w * scale}px`, height: `${h * scale}px` });
    image.getContext("2d").drawImage(set.sheet, (i % cols) * w, Math.floor(i / cols) * h, w, h, 0, 0, w, h);
    tip.dataset.imageIndex = i;
  }
  tip.hidden = false;
  const x = inst.px[i], y = inst.py[i], box = tip.getBoundingClientRect();
  tip.style.left = `${x + 12 + box.width > inst.width ? x - 12 - box.width : x + 12}px`;
  tip.style.top = `${Math.max(0, y - box.height / 2)}px`;
}

// --- the pointer ------------------------------------------------------------------------------------------

function local(inst, e) {
  const r = inst.over.getBoundingClientRect();
  return [e.clientX - r.left, e.clientY - r.top];
}

function inArea(inst, cx, cy) {
  const a = inst.area;
  return cx >= a.left && cx <= a.left + a.w && cy >= a.top && cy <= a.top + a.h;
}

function clamp(inst, cx, cy) {
  const a = inst.area;
  return [Math.min(Math.max(cx, a.left), a.left + a.w), Math.min(Math.max(cy, a.top), a.top + a.h)];
}

function onDown(inst, e) {
  if (e.button !== 0 || !inst.pts) return;
  const [cx, cy] = local(inst, e);
  if (!inArea(inst, cx, cy)) return;
  inst.over.setPointerCapture(e.pointerId);
  inst.drag = { mode: inst.mode, x0: cx, y0: cy, x: cx, y: cy, moved: false, view: { ...inst.view }, path: [[cx, cy]] };
}

function onMove(inst, e) {
  if (!inst.pts) return;
  const [cx, cy] = local(inst, e), d = inst.drag;
  if (!d) {
    const i = inArea(inst, cx, cy) ? nearest(inst, cx, cy) : null;
    if (i !== inst.hover) {
      inst.hover = i;
      showTooltip(inst, i);
      drawOverlay(inst);
    }
    return;
  }
  if (!d.moved && Math.hypot(cx - d.x0, cy - d.y0) < MIN_DRAG_PX) return;
  if (!d.moved) {
    d.moved = true;
    inst.hover = null;
    showTooltip(inst, null);
  }
  if (d.mode === "pan") {
    const t = transform(d.view, inst.area), dx = (cx - d.x0) / t.sx, dy = (cy - d.y0) / t.sy;
    inst.view = { x0: d.view.x0 - dx, x1: d.view.x1 - dx, y0: d.view.y0 + dy, y1: d.view.y1 + dy };
    schedule(inst);
    return;
  }
  [d.x, d.y] = clamp(inst, cx, cy);
  if (d.mode === "lasso") d.path.push([d.x, d.y]);
  drawOverlay(inst);
}

function onUp(inst, e) {
  const d = inst.drag;
  if (!d || e.button !== 0) return;
  inst.drag = null;
  if (!d.moved) return click(inst, d.x0, d.y0, e.timeStamp);
  if (d.mode === "box") {
    const [xa, xb] = [Math.min(d.x0, d.x), Math.max(d.x0, d.x)], [ya, yb] = [Math.min(d.y0, d.y), Math.max(d.y0, d.y)];
    select(inst, selectIn(inst, (x, y) => x >= xa && x <= xb && y >= ya && y <= yb));
  } else if (d.mode === "lasso" && d.path.length > 2) {
    select(inst, selectIn(inst, (x, y) => insidePolygon(d.path, x, y)));
  }
  drawOverlay(inst);
}

// A double-click, as in plotly: the whole map again, and no selection (Python hears of an empty one).
function resetView(inst) {
  if (!inst.pts) return;
  inst.view = homeView(inst.pts.x, inst.pts.y, inst.pts.n, inst.area, inst.equal);
  if (inst.selectedMask) select(inst, []);
  schedule(inst);
}

function select(inst, indices) {
  inst.selectedMask = indices.length ? new Uint8Array(inst.pts.n) : null; // none selected: none dimmed
  for (const i of indices) inst.selectedMask[i] = 1;
  inst.selections += 1;
  inst.root.dataset.selected = indices.length;
  schedule(inst);
  inst.setState("selection", { indices, n: inst.selections });
}

// A click: the point within reach (its index and map coordinates), else the spot (map_overlay's report).
function click(inst, cx, cy, timeStamp) {
  const index = nearest(inst, cx, cy);
  const point = index === null ? null : [inst.pts.x[index], inst.pts.y[index]];
  const [x, y] = toMap(inst, cx, cy);
  inst.clicks += 1;
  Object.assign(inst.root.dataset, { clickedAt: timeStamp, clicks: inst.clicks });
  if (inst.answerClicks) {
    // Answer before Python does: markers move now, a selection_view draws the pick in the next frame.
    const at = point || [x, y];
    inst.markers = inst.markers.map((m) => (m.kind === "ring" && index === null ? m : { ...m, x: at[0], y: at[1] }));
    if (index !== null && !inst.markers.some((m) => m.kind === "ring")) {
      inst.markers.push({ kind: "ring", color: "black", size: 9, x: at[0], y: at[1] });
    }
    inst.liveXY = null;
    drawOverlay(inst);
    window.dispatchEvent(new CustomEvent("latent-lab:pick", { detail: { chart: inst.key, index, x, y, point } }));
  }
  inst.trigger("click", { index, x, y, n: inst.clicks });
}

function onWheel(inst, e) {
  if (!inst.pts) return;
  const [cx, cy] = local(inst, e);
  if (!inArea(inst, cx, cy)) return;
  e.preventDefault();
  const [mx, my] = toMap(inst, cx, cy);
  inst.view = zoomView(inst.view, mx, my, Math.exp(-e.deltaY * 0.002));
  inst.hover = null;
  showTooltip(inst, null);
  schedule(inst);
}

function setMode(inst, mode) {
  inst.mode = mode;
  inst.root.dataset.mode = mode;
  inst.root.querySelectorAll(".toolbar button").forEach((b) => b.setAttribute("aria-pressed", b.dataset.mode === mode));
}

// --- legend and colour bar --------------------------------------------------------------------------------

function buildSide(inst, m) {
  const legend = inst.root.querySelector(".legend"), bar = inst.root.querySelector(".colorbar");
  legend.replaceChildren();
  bar.hidden = m.kind !== "value";
  (m.legend || []).forEach((entry, k) => {
    const b = document.createElement("button");
    b.type = "button";
    b.dataset.class = k;
    b.setAttribute("aria-pressed", !inst.hidden[k]);
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = entry.color;
    b.append(swatch, entry.name);
    b.addEventListener("click", () => {
      inst.hidden[k] = inst.hidden[k] ? 0 : 1;
      b.setAttribute("aria-pressed", !inst.hidden[k]);
      inst.hover = null;
      showTooltip(inst, null);
      schedule(inst);
    });
    legend.appendChild(b);
  });
  if (m.kind === "value") {
    const canvas = bar.querySelector("canvas"), h = Math.max(60, inst.height - 80), ctx = canvas.getContext("2d");
    Object.assign(canvas, { width: 1, height: 256 });
    Object.assign(canvas.style, { width: "14px", height: `${h}px` });
    const img = ctx.createImageData(1, 256);
    for (let k = 0; k < 256; k++) img.data.set([...inst.lut.subarray((255 - k) * 3, (255 - k) * 3 + 3), 255], k * 4);
    ctx.putImageData(img, 0, 0);
    bar.querySelector(".bar-title").textContent = inst.colorTitle;
    const holder = bar.querySelector(".bar-ticks");
    holder.style.height = `${h}px`;
    holder.replaceChildren(...ticks(m.vmin, m.vmax, 5).map(({ v, text }) => {
      const s = document.createElement("span");
      s.textContent = text;
      s.style.top = `${((m.vmax - v) / (m.vmax - m.vmin || 1)) * h}px`;
      return s;
    }));
  }
}

// --- Streamlit's render -----------------------------------------------------------------------------------

async function load(inst, m) {
  delete inst.root.dataset.ready;
  inst.loading = m.hash;
  try {
    const pts = await loadMap(m);
    if (inst.loading !== m.hash) return; // newer points arrived meanwhile
    inst.pts = pts;
    inst.px = new Float32Array(pts.n).fill(NaN);
    inst.py = new Float32Array(pts.n).fill(NaN);
    inst.hidden = new Uint8Array((m.legend || []).length);
    inst.selectedMask = null;
    delete inst.root.dataset.selected;
    buildSide(inst, m);
    layout(inst);
    inst.home = homeView(pts.x, pts.y, pts.n, inst.area, inst.equal);
    if (m.xy_hash !== inst.xyHash || !inst.view) inst.view = inst.home; // a new colouring keeps the view
    inst.xyHash = m.xy_hash;
    inst.root.dataset.ready = "true";
    inst.root.querySelector(".error").textContent = "";
    redraw(inst);
  } catch (err) {
    inst.root.querySelector(".error").textContent = `point map failed to load: ${err.message}`;
    inst.loading = null;
  }
}

function create(root) {
  const [base, over] = root.querySelectorAll(".plot > canvas");
  const inst = { root, base, over, baseCtx: base.getContext("2d"), overCtx: over.getContext("2d"),
                 plot: root.querySelector(".plot"), tip: root.querySelector(".tooltip"), pts: null, view: null,
                 hover: null, drag: null, frame: 0, redraws: 0, times: [], clicks: 0, selections: 0,
                 mode: "pan", markers: [], liveXY: null, pointSet: null, pointSetHash: null, loading: null };
  const on = (el, ev, fn, opts) => el.addEventListener(ev, (e) => fn(inst, e), opts);
  on(over, "pointerdown", onDown);
  on(over, "pointermove", onMove);
  on(over, "pointerup", onUp);
  on(over, "pointercancel", () => { inst.drag = null; drawOverlay(inst); });
  on(over, "pointerleave", () => { if (!inst.drag && inst.hover !== null) { inst.hover = null; showTooltip(inst, null); drawOverlay(inst); } });
  on(over, "wheel", onWheel, { passive: false });
  on(over, "dblclick", () => resetView(inst));
  root.querySelectorAll(".toolbar button").forEach((b) => b.addEventListener("click", () => setMode(inst, b.dataset.mode)));
  new ResizeObserver(() => { if (inst.area && layout(inst)) schedule(inst); }).observe(inst.plot);
  return inst;
}

export default function ({ data, parentElement, setTriggerValue, setStateValue }) {
  const root = parentElement.querySelector('[data-testid="point-map"]');
  let inst = maps.get(root);
  if (!inst) maps.set(root, (inst = create(root)));
  const m = data.map;
  Object.assign(inst, { key: data.key, titles: data.titles, equal: data.equal, height: data.height,
                        reach: data.hover_px, size: data.size, markers: data.markers, path: data.path, live: data.live,
                        answerClicks: data.answer_clicks, colorTitle: data.color_title, tipChars: data.tip_chars, legend: m.legend || [],
                        colors: (m.legend || []).map((e) => parseColor(e.color)), lut: m.scale ? scaleLut(m.scale) : null,
                        vmin: m.vmin, vmax: m.vmax, liveXY: null,
                        trigger: (name, value) => setTriggerValue(name, value),
                        setState: (name, value) => setStateValue(name, value) });
  if (!inst.area) layout(inst);
  registry[data.key] = {
    // page (client) CSS px of the map point (x, y), and back: for tests that click a known point
    toPixel: (x, y) => { const t = transform(inst.view, inst.area), r = inst.over.getBoundingClientRect();
                         return [r.left + t.ax + x * t.sx, r.top + t.by - y * t.sy]; },
    toMap: (px, py) => { const r = inst.over.getBoundingClientRect(); return toMap(inst, px - r.left, py - r.top); },
    view: () => ({ ...inst.view }),
    area: () => { const r = inst.over.getBoundingClientRect(), a = inst.area;
                  return { x: r.left + a.left, y: r.top + a.top, w: a.w, h: a.h }; }, // the plot area, page px
    stats: () => ({ redraws: inst.redraws, times: inst.times.slice() }),
    // the loaded points' map coordinates (null before they load) and the markers as drawn: tests find a
    // lonely point, an empty spot or a marker's pixel with these and toPixel
    points: () => (inst.pts ? { n: inst.pts.n, x: Array.from(inst.pts.x), y: Array.from(inst.pts.y) } : null),
    markers: () => JSON.parse(inst.root.dataset.markers || "[]"),
  };
  if (m.hash !== inst.loading) load(inst, m);
  else if (inst.pts) { layout(inst); redraw(inst); }
  // The test set for the tooltip (images, or sentences), loaded once per hash and shared with the page's other
  // views through points.js.
  if (!data.points) inst.pointSet = inst.pointSetHash = null;
  else if (data.points.hash !== inst.pointSetHash) {
    inst.pointSetHash = data.points.hash;
    inst.pointSet = null; // another checkpoint's images or sentences must not show meanwhile
    loadPoints(data.points).then((p) => { if (inst.pointSetHash === data.points.hash) inst.pointSet = p; }, () => {});
  }

  // Streamlit calls this function again on every rerun but its cleanup only on unmount: the previous run's
  // listeners go first, or every rerun would add one more of each.
  if (inst.events) inst.events.abort();
  const events = (inst.events = new AbortController());
  window.addEventListener("latent-lab:z", (e) => {
    const live = inst.live;
    if (!live || e.detail.source !== live.source || e.detail.z.length !== live.W[0].length) return;
    inst.liveXY = live.W.map((row, r) => row.reduce((s, w, j) => s + w * e.detail.z[j], live.b[r]));
    if (inst.pts) drawOverlay(inst);
  }, { signal: events.signal });
  return () => events.abort();
}
