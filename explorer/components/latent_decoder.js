// The latent decoder panel: sliders over z and the image decoded in the browser on every slider input, so
// the image follows a drag (a Streamlit rerun takes ~150 ms). decoder_runtime.js comes in front of this file.

// component root -> per-instance state that survives reruns (sliders, z, counters).
const instances = new WeakMap();

function draw(inst, out) {
  inst.ctx.putImageData(toImageData(out, inst.decoder.imageShape, inst.image), 0, 0);
}

function render(inst) {
  inst.pending = false;
  if (!inst.decoder) return;
  const t0 = performance.now();
  draw(inst, inst.decoder.decode(inst.z));
  inst.times.push(performance.now() - t0);
  if (inst.times.length > 60) inst.times.shift();
  inst.frames += 1;
  // Hooks for tests and bench/: images drawn, mean ms per image over the last 60.
  inst.canvas.dataset.frames = String(inst.frames);
  inst.canvas.dataset.decodeMs = (inst.times.reduce((a, b) => a + b, 0) / inst.times.length).toFixed(3);
}

// At most one decode per animation frame, however many input events arrive.
function schedule(inst) {
  if (inst.pending) return;
  inst.pending = true;
  requestAnimationFrame(() => render(inst));
}

// Scale the canvas by a whole number, so nearest-neighbour pixels stay square and sharp.
function fit(inst) {
  if (!inst.decoder) return;
  const [, h, w] = inst.decoder.imageShape, scale = Math.max(1, Math.floor(inst.size / Math.max(h, w)));
  Object.assign(inst.canvas.style, { width: `${w * scale}px`, height: `${h * scale}px` });
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
function near(a, b) {
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-6 * Math.max(1, Math.abs(v)));
}

function showValues(inst) {
  for (const input of inst.sliders.querySelectorAll("input")) {
    input.value = inst.z[input.dataset.dim];
    input.nextElementSibling.textContent = inst.format(inst.z[input.dataset.dim]);
  }
}

export default function ({ data, parentElement, setStateValue }) {
  const root = parentElement.querySelector('[data-testid="latent-decoder"]');
  let inst = instances.get(root);
  if (!inst) {
    const canvas = root.querySelector("canvas");
    inst = { canvas, ctx: canvas.getContext("2d"), sliders: root.querySelector(".sliders"),
             frames: 0, times: [], pending: false, z: [], layout: "", sent: null, hash: null, decoder: null };
    instances.set(root, inst);
  }

  inst.size = data.size;
  inst.key = data.key;
  const layout = JSON.stringify([data.dims, data.labels, data.min, data.max, data.step]);
  if (layout !== inst.layout) {
    buildSliders(inst, data);
    inst.layout = layout;
  }
  // A z that merely echoes our own last drag end must not move a slider the user is dragging again, and
  // one the browser already shows (set by another component's "latent-lab:set-z") is not drawn again.
  const moved = JSON.stringify(data.z) !== inst.sent && !near(data.z, inst.z);
  if (moved) inst.z = data.z.slice();
  showValues(inst);

  if (data.src.hash !== inst.hash) {
    inst.hash = data.src.hash;
    inst.decoder = null;
    delete root.dataset.ready;
    loadDecoder(data.src).then((decoder) => {
      if (inst.hash !== data.src.hash) return; // a newer model arrived meanwhile
      const [, h, w] = decoder.imageShape;
      Object.assign(inst.canvas, { width: w, height: h });
      inst.image = inst.ctx.createImageData(w, h);
      inst.decoder = decoder;
      fit(inst);
      root.dataset.ready = "true";
      root.querySelector(".error").textContent = "";
      schedule(inst);
    }).catch((err) => {
      root.querySelector(".error").textContent = `decoder failed to load: ${err.message}`;
      inst.hash = null;
    });
  } else {
    fit(inst);
    if (moved) schedule(inst);
  }

  // Streamlit calls this function again on every rerun but its cleanup only on unmount: the previous run's
  // listeners go first, or every rerun would add one more of each.
  if (inst.events) inst.events.abort();
  const events = (inst.events = new AbortController());
  inst.sliders.addEventListener("input", (e) => {
    const value = parseFloat(e.target.value);
    inst.z[e.target.dataset.dim] = value;
    e.target.nextElementSibling.textContent = inst.format(value);
    schedule(inst);
    // Whoever shows this z elsewhere (the map's marker, map_overlay.js) can follow the drag.
    window.dispatchEvent(new CustomEvent("latent-lab:z", { detail: { source: inst.key, z: inst.z } }));
  }, { signal: events.signal });
  // Another component sets z in the browser (a map click picked a point): show it now; Python's rerun follows.
  window.addEventListener("latent-lab:set-z", (e) => {
    if (e.detail.target !== inst.key || e.detail.z.length !== inst.z.length) return;
    inst.z = Array.from(e.detail.z);
    showValues(inst);
    schedule(inst);
    window.dispatchEvent(new CustomEvent("latent-lab:z", { detail: { source: inst.key, z: inst.z } }));
  }, { signal: events.signal });
  // Drag end (or a key press): the z goes to Python, which reruns the page once.
  inst.sliders.addEventListener("change", () => {
    inst.sent = JSON.stringify(inst.z);
    setStateValue("z", inst.z.slice());
  }, { signal: events.signal });
  return () => events.abort();
}
