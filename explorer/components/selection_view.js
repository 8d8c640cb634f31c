// The selected test point, answered in the browser: a map click (a "latent-lab:pick" event from
// map_overlay.js) draws the point's original, from a sprite sheet of the test set, and decode(mu), with
// the in-browser decoder, in the next animation frame, and loads mu into the decoder panel's sliders
// ("latent-lab:set-z"). A click between the dots on a linear map (identity, PCA) sends the spot's z,
// z = A p + c. Python's rerun follows with the same selection and draws nothing again.
// program_loader.js, decoder_runtime.js and points.js come in front of this file.

const views = new WeakMap(); // component root -> state that survives reruns

// Whole-number zoom, so nearest-neighbour pixels stay square.
function sizeCanvas(canvas, h, w, target) {
  const scale = Math.max(1, Math.floor(target / Math.max(h, w)));
  Object.assign(canvas, { width: w, height: h });
  Object.assign(canvas.style, { width: `${w * scale}px`, height: `${h * scale}px` });
}

function paint(view) {
  view.frame = 0;
  const { points, decoder, root } = view, index = view.shown;
  if (index === null) {
    delete root.dataset.index;
    delete root.dataset.selected;
    return;
  }
  const [h, w] = points.meta.tile, cols = points.meta.cols;
  view.original.drawImage(points.sheet, (index % cols) * w, Math.floor(index / cols) * h, w, h, 0, 0, w, h);
  view.recon.putImageData(toImageData(decoder.decode(muOf(points, index)), decoder.imageShape, view.image), 0, 0);
  view.title.textContent = `Test image #${index} · label ${pointLabel(points, index)}`;
  view.draws += 1;
  // Hooks for tests and bench/: the point shown, when this frame drew it, how many draws so far.
  Object.assign(root.dataset, { index, drawnAt: performance.now(), draws: view.draws });
}

// Show point `index` (or none) in the next frame; nothing if it is already shown.
function show(view, index) {
  if (!view.ready || index === view.shown) return;
  view.shown = index;
  if (index !== null) view.root.dataset.selected = "true"; // the layout takes its final shape now
  if (!view.frame) view.frame = requestAnimationFrame(() => paint(view));
}

function setZ(view, z) {
  window.dispatchEvent(new CustomEvent("latent-lab:set-z", { detail: { target: view.decoderKey, z } }));
}

function onPick(view, pick) {
  if (!view.ready || pick.chart !== view.chart) return; // not loaded yet: Python's rerun answers instead
  if (pick.index !== null) {
    if (pick.index >= view.points.meta.n) return;
    show(view, pick.index);
    setZ(view, Array.from(muOf(view.points, pick.index)));
  } else if (view.inverse) {
    const { A, c } = view.inverse;
    setZ(view, A.map((row, k) => row[0] * pick.x + row[1] * pick.y + c[k]));
  }
}

async function load(view, data) {
  const root = view.root;
  delete root.dataset.ready;
  view.ready = false;
  const key = `${data.src.hash}/${data.points.hash}`;
  view.loading = key;
  try {
    const [decoder, points] = await Promise.all([loadDecoder(data.src), loadPoints(data.points)]);
    if (view.loading !== key) return; // a newer checkpoint arrived meanwhile
    const [, h, w] = decoder.imageShape;
    sizeCanvas(view.originalCanvas, points.meta.tile[0], points.meta.tile[1], view.size);
    sizeCanvas(view.reconCanvas, h, w, view.size);
    view.image = view.recon.createImageData(w, h);
    Object.assign(view, { decoder, points, ready: true, shown: undefined });
    root.dataset.ready = "true";
    root.querySelector(".error").textContent = "";
    show(view, view.wanted);
  } catch (err) {
    root.querySelector(".error").textContent = `selection view failed to load: ${err.message}`;
    view.loading = null;
  }
}

export default function ({ data, parentElement }) {
  const root = parentElement.querySelector('[data-testid="selection-view"]');
  let view = views.get(root);
  if (!view) {
    const [originalCanvas, reconCanvas] = root.querySelectorAll("canvas");
    view = { root, originalCanvas, reconCanvas, original: originalCanvas.getContext("2d"),
             recon: reconCanvas.getContext("2d"), title: root.querySelector(".title"), draws: 0, frame: 0,
             ready: false, loading: null, shown: undefined };
    views.set(root, view);
  }
  Object.assign(view, { chart: data.chart, decoderKey: data.decoder, inverse: data.inverse, size: data.size,
                        wanted: data.selected });
  if (!view.ready) {
    // Before anything has loaded, take the final layout from Python's data (canvas sizes, title), so the
    // panels below do not jump when the images arrive.
    sizeCanvas(view.originalCanvas, data.tile[0], data.tile[1], data.size);
    sizeCanvas(view.reconCanvas, data.tile[0], data.tile[1], data.size);
    if (data.selected === null) delete root.dataset.selected;
    else root.dataset.selected = "true";
  }
  if (data.title && (!view.ready || view.shown === data.selected)) view.title.textContent = data.title;
  if (view.loading !== `${data.src.hash}/${data.points.hash}`) load(view, data);
  else show(view, data.selected); // Python's selection: already shown after a click, so nothing is drawn

  // Streamlit calls this function again on every rerun but its cleanup only on unmount: the previous run's
  // listeners go first, or every rerun would add one more of each.
  if (view.events) view.events.abort();
  const events = (view.events = new AbortController());
  window.addEventListener("latent-lab:pick", (e) => onPick(view, e.detail), { signal: events.signal });
  return () => events.abort();
}
