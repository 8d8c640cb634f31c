// The slider panel shared by the image panel (latent_decoder.js) and the text panel (text_panel.js): sliders
// over z and the item decoded in the browser on every slider input, so it follows a drag (a Streamlit rerun
// takes ~150 ms). What is decoded and how it is shown is the caller's `view`:
//   output(root)            the element whose data-frames / data-decode-ms the tests and bench/ read
//   load(src)               -> Promise of a decoder (loadDecoder, loadTextDecoder)
//   show(inst)              decode inst.z with inst.decoder and show it
//   resize(inst, data)      on every run (the panel's size may change)
//   loaded(inst)            once a new decoder arrived (inst.decoder), before its first show
// Events: "latent-lab:set-z" {target: key, z} moves the sliders; "latent-lab:z" {source: key, z} reports a drag.

// component root -> per-instance state that survives reruns (sliders, z, counters).
const panels = new WeakMap();

function renderPanel(inst) {
  inst.pending = false;
  if (!inst.decoder) return;
  const t0 = performance.now();
  inst.view.show(inst);
  inst.times.push(performance.now() - t0);
  if (inst.times.length > 60) inst.times.shift();
  inst.frames += 1;
  // Hooks for tests and bench/: items shown so far, mean ms per decode over the last 60.
  inst.output.dataset.frames = String(inst.frames);
  inst.output.dataset.decodeMs = (inst.times.reduce((a, b) => a + b, 0) / inst.times.length).toFixed(3);
}

// At most one decode per animation frame, however many input events arrive.
function schedulePanel(inst) {
  if (inst.pending) return;
  inst.pending = true;
  requestAnimationFrame(() => renderPanel(inst));
}

function buildSliders(inst, data) {
  const decimals = Math.max(0, -Math.floor(Math.log10(data.step) + 1e-9));
  inst.format = (v) => v.toFixed(decimals);
  inst.sliders.replaceChildren(...data.dims.map((dim, i) => {
    const row = document.createElement("label");
    row.className = "row";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = data.labels[i];
    const input = Object.assign(document.createElement("input"), {
      type: "range", min: data.min, max: data.max, step: data.step,
    });
    input.dataset.dim = dim;
    input.setAttribute("aria-label", data.labels[i]);
    const value = document.createElement("output");
    row.append(name, input, value);
    return row;
  }));
}

// Equal up to float32 rounding: Python sends back the z the browser computed, in its own precision.
function nearZ(a, b) {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-6 * Math.max(1, Math.abs(v)));
}

function showSliderValues(inst) {
  for (const input of inst.sliders.querySelectorAll("input")) {
    input.value = inst.z[input.dataset.dim];
    input.nextElementSibling.textContent = inst.format(inst.z[input.dataset.dim]);
  }
}

function reportZ(inst) {
  // Whoever shows this z elsewhere (the map's marker) can follow the drag.
  window.dispatchEvent(new CustomEvent("latent-lab:z", { detail: { source: inst.key, z: inst.z } }));
}

/** One run of a slider panel component: the component's default export calls it with its own view. */
function runPanel({ data, parentElement, setStateValue }, view) {
  const root = parentElement.querySelector('[data-testid="latent-decoder"]');
  let inst = panels.get(root);
  if (!inst) {
    inst = { view, output: view.output(root), sliders: root.querySelector(".sliders"), frames: 0, times: [],
             pending: false, z: [], layout: "", sent: null, hash: null, decoder: null };
    panels.set(root, inst);
  }
  inst.key = data.key;
  const layout = JSON.stringify([data.dims, data.labels, data.min, data.max, data.step]);
  if (layout !== inst.layout) {
    buildSliders(inst, data);
    inst.layout = layout;
  }
  // A z that merely echoes our own last drag end must not move a slider the user is dragging again, and
  // one the browser already shows (set by another component's "latent-lab:set-z") is not drawn again.
  const moved = JSON.stringify(data.z) !== inst.sent && !nearZ(data.z, inst.z);
  if (moved) inst.z = data.z.slice();
  showSliderValues(inst);
  view.resize(inst, data);

  if (data.src.hash !== inst.hash) {
    inst.hash = data.src.hash;
    inst.decoder = null;
    delete root.dataset.ready;
    view.load(data.src).then((decoder) => {
      if (inst.hash !== data.src.hash) return; // a newer model arrived meanwhile
      inst.decoder = decoder;
      view.loaded(inst);
      root.dataset.ready = "true";
      root.querySelector(".error").textContent = "";
      schedulePanel(inst);
    }).catch((err) => {
      root.querySelector(".error").textContent = `decoder failed to load: ${err.message}`;
      inst.hash = null;
    });
  } else if (moved) {
    schedulePanel(inst);
  }

  // Streamlit calls this function again on every rerun but its cleanup only on unmount: the previous run's
  // listeners go first, or every rerun would add one more of each.
  if (inst.events) inst.events.abort();
  const events = (inst.events = new AbortController());
  inst.sliders.addEventListener("input", (e) => {
    const value = parseFloat(e.target.value);
    inst.z[e.target.dataset.dim] = value;
    e.target.nextElementSibling.textContent = inst.format(value);
    schedulePanel(inst);
    reportZ(inst);
  }, { signal: events.signal });
  // Another component sets z in the browser (a map click picked a point): show it now; Python's rerun follows.
  window.addEventListener("latent-lab:set-z", (e) => {
    if (e.detail.target !== inst.key || e.detail.z.length !== inst.z.length) return;
    inst.z = Array.from(e.detail.z);
    showSliderValues(inst);
    schedulePanel(inst);
    reportZ(inst);
  }, { signal: events.signal });
  // Drag end (or a key press): the z goes to Python, which reruns the page once.
  inst.sliders.addEventListener("change", () => {
    inst.sent = JSON.stringify(inst.z);
    setStateValue("z", inst.z.slice());
  }, { signal: events.signal });
  return () => events.abort();
}
