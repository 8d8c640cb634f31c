// The selected test point, answered in the browser; what the image view (selection_view.js) and the text view
// (text_selection.js) share. A map click (a "latent-lab:pick" event from map_overlay.js / point_map.js) shows
// the point and decode(mu) in the next animation frame and loads mu into the decoder panel's sliders
// ("latent-lab:set-z"). A click between the dots on a linear map (identity, PCA) sends the spot's z,
// z = A p + c. Python's rerun follows with the same selection and draws nothing again.
// What is shown and how is the caller's `kind`:
//   init(sel, root)          once per component root: find the elements
//   prepare(sel, data)       every run before anything has loaded: take the final layout from Python's data
//   load(data)               -> Promise of {decoder, points}
//   loaded(sel)              once a new decoder and point set arrived, before the first paint
//   paint(sel, index)        draw point `index` (sel.decoder, sel.points); returns the title it shows
// program_loader.js, the decoder runtime and points.js come in front of this file.

const selections = new WeakMap(); // component root -> state that survives reruns

function paintSelection(sel) {
  sel.frame = 0;
  const root = sel.root, index = sel.shown;
  if (index === null) {
    delete root.dataset.index;
    delete root.dataset.selected;
    return;
  }
  sel.title.textContent = sel.kind.paint(sel, index);
  sel.draws += 1;
  // Hooks for tests and bench/: the point shown, when this frame drew it, how many draws so far.
  Object.assign(root.dataset, { index, drawnAt: performance.now(), draws: sel.draws });
}

// Show point `index` (or none) in the next frame; nothing if it is already shown.
function showSelection(sel, index) {
  if (!sel.ready || index === sel.shown) return;
  sel.shown = index;
  if (index !== null) sel.root.dataset.selected = "true"; // the layout takes its final shape now
  if (!sel.frame) sel.frame = requestAnimationFrame(() => paintSelection(sel));
}

function setPanelZ(sel, z) {
  window.dispatchEvent(new CustomEvent("latent-lab:set-z", { detail: { target: sel.decoderKey, z } }));
}

function onSelectionPick(sel, pick) {
  if (!sel.ready || pick.chart !== sel.chart) return; // not loaded yet: Python's rerun answers instead
  if (pick.index !== null) {
    if (pick.index >= sel.points.meta.n) return;
    showSelection(sel, pick.index);
    setPanelZ(sel, Array.from(muOf(sel.points, pick.index)));
  } else if (sel.inverse) {
    const { A, c } = sel.inverse;
    setPanelZ(sel, A.map((row, k) => row[0] * pick.x + row[1] * pick.y + c[k]));
  }
}

async function loadSelection(sel, data) {
  const root = sel.root;
  delete root.dataset.ready;
  sel.ready = false;
  const key = `${data.src.hash}/${data.points.hash}`;
  sel.loading = key;
  try {
    const { decoder, points } = await sel.kind.load(data);
    if (sel.loading !== key) return; // a newer checkpoint arrived meanwhile
    Object.assign(sel, { decoder, points });
    sel.kind.loaded(sel);
    Object.assign(sel, { ready: true, shown: undefined });
    root.dataset.ready = "true";
    root.querySelector(".error").textContent = "";
    showSelection(sel, sel.wanted);
  } catch (err) {
    root.querySelector(".error").textContent = `selection view failed to load: ${err.message}`;
    sel.loading = null;
  }
}

/** One run of a selection component: the component's default export calls it with its own kind. */
function runSelection({ data, parentElement }, kind) {
  const root = parentElement.querySelector('[data-testid="selection-view"]');
  let sel = selections.get(root);
  if (!sel) {
    sel = { root, kind, title: root.querySelector(".title"), draws: 0, frame: 0, ready: false, loading: null,
            shown: undefined };
    kind.init(sel, root);
    selections.set(root, sel);
  }
  Object.assign(sel, { chart: data.chart, decoderKey: data.decoder, inverse: data.inverse, size: data.size,
                     wanted: data.selected });
  if (!sel.ready) {
    // Before anything has loaded, take the final layout from Python's data, so the panels below do not jump
    // when the point arrives.
    kind.prepare(sel, data);
    if (data.selected === null) delete root.dataset.selected;
    else root.dataset.selected = "true";
  }
  if (data.title && (!sel.ready || sel.shown === data.selected)) sel.title.textContent = data.title;
  if (sel.loading !== `${data.src.hash}/${data.points.hash}`) loadSelection(sel, data);
  else showSelection(sel, data.selected); // Python's selection: already shown after a click, so nothing is drawn

  // Streamlit calls this function again on every rerun but its cleanup only on unmount: the previous run's
  // listeners go first, or every rerun would add one more of each.
  if (sel.events) sel.events.abort();
  const events = (sel.events = new AbortController());
  window.addEventListener("latent-lab:pick", (e) => onSelectionPick(sel, e.detail), { signal: events.signal });
  return () => events.abort();
}
