// What the browser adds to a latent map (a plotly chart):
// - markers (the selected point's ring, the current z's cross) in an SVG laid over the plot rather than
//   as shapes in the figure: moving one leaves the figure Python sends unchanged, so plotly neither
//   re-parses nor redraws its WebGL scatter on a click or a slider release. With a linear projection the
//   cross also follows a decoder's drag ("latent-lab:z" events);
// - clicks: a press and release on the plot area without a drag is reported to Python as the test point
//   under the mouse, or as the map coordinates of the spot (see watchClicks).

const NS = "http://www.w3.org/2000/svg";
const PLOT_EVENTS = ["plotly_afterplot", "plotly_relayout", "plotly_relayouting"];
const MIN_DRAG_PX = 8; // plotly's own threshold (constants/interactions.js MINDRAG): less is a click, not a pan
const instances = new WeakMap(); // component root -> state that survives reruns

// --- the plotly internals this file reads, all here (read from plotly.js 3.8.2, bundled by Streamlit 1.67) ---
// gd._fullLayout.{xaxis,yaxis}: _offset and _length (the plot area in the div, CSS px), l2p / p2l (map
// coordinate <-> pixel along the axis), width / height, hoverdistance; gd._fullData: the traces as drawn.

function plotArea(gd) {
  const L = gd && gd._fullLayout;
  if (!L || !L.xaxis || !L.yaxis || !gd._fullData) return null;
  const X = L.xaxis, Y = L.yaxis;
  return {
    width: L.width, height: L.height, hoverdistance: L.hoverdistance,
    left: X._offset, top: Y._offset, w: X._length, h: Y._length,
    toPx: (x, y) => [X._offset + X.l2p(x), Y._offset + Y.l2p(y)], // map -> px in the graph div
    // The same for many points: the map's axes are linear, so px = x * scale + shift (no call per point).
    scaleX: X.l2p(1) - X.l2p(0), shiftX: X._offset + X.l2p(0),
    scaleY: Y.l2p(1) - Y.l2p(0), shiftY: Y._offset + Y.l2p(0),
    toMap: (px, py) => [X.p2l(px - X._offset), Y.p2l(py - Y._offset)],
    traces: gd._fullData,
  };
}
// --- end of plotly internals ---

function graphDiv(chart) {
  return document.querySelector(`.st-key-${CSS.escape(chart)} .js-plotly-plot`);
}

// Follow the chart: plotly may build a new graph div (a remount) or a new svg container (a full replot).
function attach(inst) {
  const gd = graphDiv(inst.chart);
  const host = gd && plotArea(gd) && gd.querySelector(".svg-container");
  if (!host) return false;
  if (inst.gd !== gd) {
    detach(inst);
    inst.gd = gd;
    inst.gdEvents = new AbortController();
    PLOT_EVENTS.forEach((ev) => gd.on(ev, inst.redraw));
    watchClicks(inst, gd, inst.gdEvents.signal);
  }
  if (inst.svg.parentNode !== host) host.appendChild(inst.svg);
  return true;
}

function detach(inst) {
  if (inst.gd && inst.gd.removeListener) PLOT_EVENTS.forEach((ev) => inst.gd.removeListener(ev, inst.redraw));
  if (inst.gdEvents) inst.gdEvents.abort();
  inst.gd = null;
}

// Why clicks are ours and not plotly's: a plotly click selection restyles every point of the WebGL scatter
// (selected / unselected), and Streamlit then re-renders the chart with the selection; in a browser without
// a GPU that cost about 250 ms before the rerun even started (bench/README.md, issue 11). A click on the same
// point twice also toggled the selection off, so the second click did nothing. Here a click is a trigger
// value, one per click, and the figure is left alone. It picks the point under the mouse at the release, the
// one plotly's hover label shows (within hoverdistance of the dot's edge), else the spot itself.
function watchClicks(inst, gd, signal) {
  let down = null;
  gd.addEventListener("mousedown", (e) => { // on the plot area (plotly's drag layer), not the modebar
    down = e.button === 0 && e.target.classList.contains("nsewdrag") ? [e.clientX, e.clientY] : null;
  }, { capture: true, signal });
  window.addEventListener("mouseup", (e) => {
    const start = down;
    down = null;
    if (!start || Math.hypot(e.clientX - start[0], e.clientY - start[1]) >= MIN_DRAG_PX) return;
    const click = clickAt(gd, e.clientX, e.clientY);
    if (!click || !inst.report) return;
    inst.svg.dataset.clickedAt = e.timeStamp; // hooks for tests and bench/: when, and how many so far
    inst.svg.dataset.clicks = inst.clicks + 1;
    if (inst.answerClicks) {
      // Answer before Python does: markers move now, and whoever can draw the pick in the browser
      // (selection_view.js, the decoder through it) draws it in the next frame. Python's rerun follows.
      const at = click.point || [click.x, click.y];
      inst.markers = inst.markers.map((m) => (m.kind === "ring" && click.index === null ? m
        : { ...m, x: at[0], y: at[1] }));
      if (click.index !== null && !inst.markers.some((m) => m.kind === "ring")) {
        inst.markers.push({ kind: "ring", color: "black", size: 9, x: at[0], y: at[1] });
      }
      inst.liveXY = null;
      draw(inst);
      window.dispatchEvent(new CustomEvent("latent-lab:pick", { detail: { chart: inst.chart, ...click } }));
    }
    inst.report({ index: click.index, x: click.x, y: click.y, n: ++inst.clicks });
  }, { capture: true, signal });
}

// The test point nearest the mouse among the shown traces that carry indices (customdata), if the mouse is
// within hoverdistance of its edge (index, and point: its map coordinates), and the map coordinates under
// the mouse (x, y). Null outside the plot area.
function clickAt(gd, clientX, clientY) {
  const area = plotArea(gd), box = gd.getBoundingClientRect();
  if (!area) return null;
  const px = clientX - box.left, py = clientY - box.top;
  if (px < area.left || px > area.left + area.w || py < area.top || py > area.top + area.h) return null;
  const reach = area.hoverdistance === -1 ? Infinity : area.hoverdistance;
  let best = Infinity, index = null, point = null;
  for (const t of area.traces) {
    if (t.visible !== true || !t.customdata || !t.x || !t.y) continue;
    const size = t.marker && t.marker.size, radius = typeof size === "number" ? size / 2 : 3;
    const { scaleX, shiftX, scaleY, shiftY } = area;
    for (let i = Math.min(t.x.length, t.y.length) - 1; i >= 0; i--) {
      const dx = t.x[i] * scaleX + shiftX - px, dy = t.y[i] * scaleY + shiftY - py;
      const d = Math.sqrt(dx * dx + dy * dy) - radius;
      if (d <= reach && d < best) {
        best = d;
        index = Number(t.customdata[i]);
        point = [t.x[i], t.y[i]];
      }
    }
  }
  const [x, y] = area.toMap(px, py);
  return { index, x, y, point };
}

// A marker is its stroke over a wider white halo, so it reads on dense points and on a dark theme alike.
function shape(m, px, py) {
  const r = m.size, group = document.createElementNS(NS, "g");
  for (const [color, width] of [["white", 6], [m.color, 3]]) {
    const el = document.createElementNS(NS, m.kind === "ring" ? "circle" : "path");
    if (m.kind === "ring") {
      Object.entries({ cx: px, cy: py, r, fill: "none" }).forEach(([k, v]) => el.setAttribute(k, v));
    } else if (m.kind === "diamond") {
      el.setAttribute("d", `M${px},${py - r}L${px + r},${py}L${px},${py + r}L${px - r},${py}Z`);
      el.setAttribute("fill", "none");
    } else {
      el.setAttribute("d", `M${px - r},${py - r}L${px + r},${py + r}M${px - r},${py + r}L${px + r},${py - r}`);
    }
    Object.entries({ stroke: color, "stroke-width": width, "stroke-linecap": "round" })
      .forEach(([k, v]) => el.setAttribute(k, v));
    group.appendChild(el);
  }
  group.dataset.kind = m.kind;
  group.dataset.x = m.x;
  group.dataset.y = m.y;
  return group;
}

function draw(inst) {
  const area = plotArea(inst.gd);
  if (!area) return;
  inst.svg.setAttribute("width", area.width);
  inst.svg.setAttribute("height", area.height);
  const nodes = [];
  for (const marker of inst.markers) {
    const m = marker.kind === "x" && inst.liveXY ? { ...marker, x: inst.liveXY[0], y: inst.liveXY[1] } : marker;
    const [px, py] = area.toPx(m.x, m.y);
    const inside = px >= area.left && px <= area.left + area.w && py >= area.top && py <= area.top + area.h;
    if (inside) nodes.push(shape(m, px, py)); // panned out of view: hidden, like plotly's own points
  }
  inst.svg.replaceChildren(...nodes);
}

export default function ({ data, parentElement, setTriggerValue }) {
  const root = parentElement.querySelector('[data-testid="map-overlay-anchor"]');
  let inst = instances.get(root);
  if (!inst) {
    const svg = document.createElementNS(NS, "svg");
    svg.dataset.testid = "map-markers";
    svg.style.cssText = "position:absolute;left:0;top:0;pointer-events:none;overflow:visible;z-index:2";
    inst = { svg, gd: null, markers: [], live: null, liveXY: null, clicks: 0 };
    inst.redraw = () => draw(inst);
    instances.set(root, inst);
  }
  inst.chart = data.chart;
  inst.markers = data.markers;
  inst.live = data.live;
  inst.answerClicks = Boolean(data.answer_clicks);
  inst.report = (click) => setTriggerValue("click", click);
  inst.liveXY = null; // Python's position for the cross is the truth after every rerun
  if (attach(inst)) draw(inst);

  // Streamlit calls this function again on every rerun but its cleanup only on unmount: the previous run's
  // listeners go first, or every rerun would add one more of each.
  if (inst.events) inst.events.abort();
  clearInterval(inst.timer);
  const events = (inst.events = new AbortController());
  // The chart may render after us, or be rebuilt later: keep looking for it.
  const timer = (inst.timer = setInterval(() => {
    if (inst.gd !== graphDiv(inst.chart) || !inst.svg.isConnected) {
      if (attach(inst)) draw(inst);
    }
  }, 250));
  window.addEventListener("latent-lab:z", (e) => {
    const live = inst.live;
    if (!live || e.detail.source !== live.source || e.detail.z.length !== live.W[0].length) return;
    inst.liveXY = live.W.map((row, r) => row.reduce((s, w, j) => s + w * e.detail.z[j], live.b[r]));
    draw(inst);
  }, { signal: events.signal });
  return () => {
    clearInterval(timer);
    events.abort();
    setTimeout(() => { // a component that went away leaves no markers
      if (!root.isConnected) {
        detach(inst);
        inst.svg.remove();
      }
    }, 0);
  };
}
