// The text decoder panel: sliders over z and the sentence greedy-decoded in the browser on every slider input,
// so the sentence follows a drag (a Streamlit rerun takes ~150 ms). text_decoder.js comes in front of this
// file. The slider handling follows latent_decoder.js (the image panel) event for event.

// component root -> per-instance state that survives reruns (sliders, z, counters).
const panels = new WeakMap();

function renderSentence(inst) {
  inst.pending = false;
  if (!inst.decoder) return;
  const t0 = performance.now();
  const { text, tokens } = inst.decoder.decode(inst.z);
  // A decode that hit the token limit before its end-of-sentence token is cut: say so.
  const cut = tokens.length === inst.decoder.maxTokens && tokens[tokens.length - 1] !== inst.decoder.eos;
  inst.sentence.textContent = cut ? `${text}…` : text;
  inst.times.push(performance.now() - t0);
  if (inst.times.length > 60) inst.times.shift();
  inst.frames += 1;
  // Hooks for tests and bench/: sentences shown so far, mean ms per decode over the last 60.
  inst.sentence.dataset.frames = String(inst.frames);
  inst.sentence.dataset.decodeMs = (inst.times.reduce((a, b) => a + b, 0) / inst.times.length).toFixed(3);
}

// At most one decode per animation frame, however many input events arrive.
function scheduleSentence(inst) {
  if (inst.pending) return;
  inst.pending = true;
  requestAnimationFrame(() => renderSentence(inst));
}

function buildTextSliders(inst, data) {
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

export default function ({ data, parentElement, setStateValue }) {
  const root = parentElement.querySelector('[data-testid="latent-decoder"]');
  let inst = panels.get(root);
  if (!inst) {
    inst = { sentence: root.querySelector(".sentence"), sliders: root.querySelector(".sliders"), frames: 0,
             times: [], pending: false, z: [], layout: "", sent: null, hash: null, decoder: null };
    panels.set(root, inst);
  }
  inst.key = data.key;
  inst.sentence.style.minWidth = `${data.size}px`;
  const layout = JSON.stringify([data.dims, data.labels, data.min, data.max, data.step]);
  if (layout !== inst.layout) {
    buildTextSliders(inst, data);
    inst.layout = layout;
  }
  // A z that merely echoes our own last drag end must not move a slider the user is dragging again.
  const moved = JSON.stringify(data.z) !== inst.sent && !nearZ(data.z, inst.z);
  if (moved) inst.z = data.z.slice();
  showSliderValues(inst);

  if (data.src.hash !== inst.hash) {
    inst.hash = data.src.hash;
    inst.decoder = null;
    delete root.dataset.ready;
    loadTextDecoder(data.src).then((decoder) => {
      if (inst.hash !== data.src.hash) return; // a newer model arrived meanwhile
      inst.decoder = decoder;
      root.dataset.ready = "true";
      root.querySelector(".error").textContent = "";
      scheduleSentence(inst);
    }).catch((err) => {
      root.querySelector(".error").textContent = `decoder failed to load: ${err.message}`;
      inst.hash = null;
    });
  } else if (moved) {
    scheduleSentence(inst);
  }

  // Streamlit calls this function on every rerun but its cleanup only on unmount: drop the previous listeners.
  if (inst.events) inst.events.abort();
  const events = (inst.events = new AbortController());
  inst.sliders.addEventListener("input", (e) => {
    const value = parseFloat(e.target.value);
    inst.z[e.target.dataset.dim] = value;
    e.target.nextElementSibling.textContent = inst.format(value);
    scheduleSentence(inst);
    window.dispatchEvent(new CustomEvent("latent-lab:z", { detail: { source: inst.key, z: inst.z } }));
  }, { signal: events.signal });
  window.addEventListener("latent-lab:set-z", (e) => {
    if (e.detail.target !== inst.key || e.detail.z.length !== inst.z.length) return;
    inst.z = Array.from(e.detail.z);
    showSliderValues(inst);
    scheduleSentence(inst);
    window.dispatchEvent(new CustomEvent("latent-lab:z", { detail: { source: inst.key, z: inst.z } }));
  }, { signal: events.signal });
  // Drag end (or a key press): the z goes to Python, which reruns the page once.
  inst.sliders.addEventListener("change", () => {
    inst.sent = JSON.stringify(inst.z);
    setStateValue("z", inst.z.slice());
  }, { signal: events.signal });
  return () => events.abort();
}
