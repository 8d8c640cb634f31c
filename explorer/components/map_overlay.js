// What the browser adds to a latent map (a plotly chart):
// - markers (the selected point's ring, the current z's cross) in an SVG laid over the plot rather than
//   as shapes in the figure: moving one leaves the figure Python sends unchanged, so plotly neither
//   re-parses nor redraws its WebGL scatter on a click or a slider release. With a linear projection the
//   cross also follows a decoder's drag ("latent-lab:z" events);
// - a guard that makes a click pick the point under the mouse, which plotly's throttled hover may not
//   have found yet (guardClicks).

const NS = "http://www.w3.org/2000/svg";
const PLOT_EVENTS = ["plotly_afterplot", "plotly_relayout", "plotly_relayouting"];
const instances = new WeakMap(); // component root -> state that survives reruns

function graphDiv(chart) {
  return document.querySelector(`.st-key-${CSS.escape(chart)} .js-plotly-plot`);
}

// Follow the chart: plotly may build a new graph div (a remount) or a new svg container (a full replot).
function attach(inst) {
  const gd = graphDiv(inst.chart);
  const host = gd && gd._fullLayout && gd.querySelector(".svg-container");
  if (!host) return false;
  if (inst.gd !== gd) {
    detach(inst);
    inst.gd = gd;
    inst.gdEvents = new AbortController();
    PLOT_EVENTS.forEach((ev) => gd.on(ev, inst.redraw));
    guardClicks(gd, inst.gdEvents.signal);
  }
  if (inst.svg.parentNode !== host) host.appendChild(inst.svg);
  return true;
}

function detach(inst) {
  if (inst.gd && inst.gd.removeListener) PLOT_EVENTS.forEach((ev) => inst.gd.removeListener(ev, inst.redraw));
  if (inst.gdEvents) inst.gdEvents.abort();
  inst.gd = null;
}

// plotly clicks the point its last hover pass found (gd._hoverdata), and that pass is throttled: it runs
// at most every 50 ms, so for up to 50 ms after a move it still holds the point under the mouse's earlier
// position; and a pass that lands while the button is down takes the press for a drag and clears it. So a
// quick move-and-click picked a dot passed on the way, or the neighbouring cell of the click grid (a click
// on empty space decoded another spot, or a dot), and a press held past the pass picked nothing.
// At the release, before plotly's own handler reads it, put there the point under the mouse now.
function guardClicks(gd, signal) {
  let pressed = false;
  gd.addEventListener("mousedown", (e) => { // on the plot area (plotly's drag layer), not the modebar
    pressed = e.button === 0 && e.target.classList.contains("nsewdrag");
  }, { capture: true, signal });
  window.addEventListener("mouseup", (e) => { // capture on window: before plotly's own mouseup handler
    if (pressed && gd._fullLayout && gd._fullData) gd._hoverdata = pointsUnder(gd, e.clientX, e.clientY);
    pressed = false;
  }, { capture: true, signal });
}

// What plotly's "closest" hover pass would find at a screen position, in its shape (as many fields as its
// click selection reads): the nearest point of a shown trace within layout.hoverdistance, measured
// between centres in pixels; ties go to the earlier trace, then the later point, as in plotly's loops.
function pointsUnder(gd, clientX, clientY) {
  const L = gd._fullLayout, X = L.xaxis, Y = L.yaxis, box = gd.getBoundingClientRect();
  const px = clientX - box.left - X._offset, py = clientY - box.top - Y._offset;
  if (px < 0 || px > X._length || py < 0 || py > Y._length) return undefined;
  let best = L.hoverdistance === -1 ? Infinity : L.hoverdistance, hit = null;
  for (const t of gd._fullData) {
    if (t.visible !== true || t.hoverinfo === "skip" || !t.x || !t.y) continue;
    for (let i = Math.min(t.x.length, t.y.length) - 1; i >= 0; i--) {
      const d = Math.hypot(X.l2p(t.x[i]) - px, Y.l2p(t.y[i]) - py);
      if (d < best) {
        best = d;
        hit = { t, i };
      }
    }
  }
  if (!hit) return undefined;
  const { t, i } = hit;
  return [{ curveNumber: t.index, pointNumber: i, pointIndex: i, fullData: t, data: gd.data[t.index],
            x: t.x[i], y: t.y[i], distance: best }];
}

// A marker is its stroke over a wider white halo, so it reads on dense points and on a dark theme alike.
function shape(m, px, py) {
  const r = m.size, group = document.createElementNS(NS, "g");
  for (const [color, width] of [["white", 6], [m.color, 3]]) {
    const el = document.createElementNS(NS, m.kind === "ring" ? "circle" : "path");
    if (m.kind === "ring") {
      Object.entries({ cx: px, cy: py, r, fill: "none" }).forEach(([k, v]) => el.setAttribute(k, v));
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
  const layout = inst.gd && inst.gd._fullLayout;
  if (!layout || !layout.xaxis || !layout.yaxis) return;
  const X = layout.xaxis, Y = layout.yaxis;
  inst.svg.setAttribute("width", layout.width);
  inst.svg.setAttribute("height", layout.height);
  const nodes = [];
  for (const marker of inst.markers) {
    const m = marker.kind === "x" && inst.liveXY ? { ...marker, x: inst.liveXY[0], y: inst.liveXY[1] } : marker;
    const px = X._offset + X.l2p(m.x), py = Y._offset + Y.l2p(m.y);
    const inside = px >= X._offset && px <= X._offset + X._length && py >= Y._offset && py <= Y._offset + Y._length;
    if (inside) nodes.push(shape(m, px, py)); // panned out of view: hidden, like plotly's own points
  }
  inst.svg.replaceChildren(...nodes);
}

export default function ({ data, parentElement }) {
  const root = parentElement.querySelector('[data-testid="map-overlay-anchor"]');
  let inst = instances.get(root);
  if (!inst) {
    const svg = document.createElementNS(NS, "svg");
    svg.dataset.testid = "map-markers";
    svg.style.cssText = "position:absolute;left:0;top:0;pointer-events:none;overflow:visible;z-index:2";
    inst = { svg, gd: null, markers: [], live: null, liveXY: null };
    inst.redraw = () => draw(inst);
    instances.set(root, inst);
  }
  inst.chart = data.chart;
  inst.markers = data.markers;
  inst.live = data.live;
  inst.liveXY = null; // Python's position for the cross is the truth after every rerun
  if (attach(inst)) draw(inst);

  const events = new AbortController();
  // The chart may render after us, or be rebuilt later: keep looking for it.
  const timer = setInterval(() => {
    if (inst.gd !== graphDiv(inst.chart) || !inst.svg.isConnected) {
      if (attach(inst)) draw(inst);
    }
  }, 250);
  window.addEventListener("latent-lab:z", (e) => {
    const live = inst.live;
    if (!live || e.detail.source !== live.source || e.detail.z.length !== live.W[0].length) return;
    inst.liveXY = live.W.map((row, r) => row.reduce((s, w, j) => s + w * e.detail.z[j], live.b[r]));
    draw(inst);
  }, { signal: events.signal });
  return () => {
    clearInterval(timer);
    events.abort();
    setTimeout(() => { // a rerun calls us again at once; a component that went away leaves no markers
      if (!root.isConnected) {
        detach(inst);
        inst.svg.remove();
      }
    }, 0);
  };
}
