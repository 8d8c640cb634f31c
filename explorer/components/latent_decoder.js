// In-browser VAE decoder: runs the program exported by vae_core/export.py on every
// slider input, so the image follows a drag (a Streamlit rerun takes ~150 ms).
// Tensors are flat Float32Arrays, feature maps channels-last (HWC); every buffer
// is allocated once when the program is compiled.

// program hash -> Promise of a compiled decoder. Module level: the module stays
// loaded across reruns, so weights are fetched once per page, however often it reruns.
const decoders = new Map();
// component root -> per-instance state that survives reruns (sliders, z, counters).
const instances = new WeakMap();

const size = (shape) => shape.reduce((a, b) => a * b, 1);

// Every layer is a set of dot products: accumulators live in registers and the
// inner loops read contiguous weights (layouts: vae_core/export.py).
function linear(op, w) {
  const n = op.in, m = op.out, n4 = n - (n % 4);
  const W = w.subarray(op.w, op.w + n * m), b = w.subarray(op.b, op.b + m);
  const y = new Float32Array(m);
  return (x) => {
    for (let o = 0, k = 0; o < m; o++, k += n) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0; // four chains hide the add latency
      for (let i = 0; i < n4; i += 4) {
        a0 += x[i] * W[k + i];
        a1 += x[i + 1] * W[k + i + 1];
        a2 += x[i + 2] * W[k + i + 2];
        a3 += x[i + 3] * W[k + i + 3];
      }
      for (let i = n4; i < n; i++) a0 += x[i] * W[k + i];
      y[o] = b[o] + (a0 + a1) + (a2 + a3);
    }
    return y;
  };
}

// For each output row (or column) o: the kernel taps t and input rows i that feed it.
// conv2d: i = o * s - p + t; transposed: o = i * s - p + t. Out-of-range taps are the zero padding.
function taps(nOut, nIn, k, s, p, transposed) {
  const start = new Int32Array(nOut + 1), tap = [], src = [];
  for (let o = 0; o < nOut; o++) {
    start[o] = tap.length;
    for (let t = 0; t < k; t++) {
      const i = transposed ? (o + p - t) / s : o * s - p + t;
      if (Number.isInteger(i) && i >= 0 && i < nIn) tap.push(t), src.push(i);
    }
  }
  start[nOut] = tap.length;
  return { start, tap: Int32Array.from(tap), src: Int32Array.from(src) };
}

// conv2d and conv_transpose2d differ only in their tap tables. W is [cout/B][k][k][cin][B]:
// with B = 8 each input value loaded feeds 8 output channels.
function conv(op, w) {
  const [ci, h, wd] = op.in_shape, [co, ho, wo] = op.out_shape, { k, stride: s, padding: p, block } = op;
  const transposed = op.op === "conv_transpose2d";
  const rows = taps(ho, h, k, s, p, transposed), cols = taps(wo, wd, k, s, p, transposed);
  const W = w.subarray(op.w, op.w + k * k * ci * co), b = w.subarray(op.b, op.b + co);
  const y = new Float32Array(co * ho * wo), perBlock = k * k * ci * block;
  return (x) => {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const yb = (oy * wo + ox) * co;
        for (let o = 0, wo0 = 0; o < co; o += block, wo0 += perBlock) {
          if (block === 8) {
            let a0 = b[o], a1 = b[o + 1], a2 = b[o + 2], a3 = b[o + 3];
            let a4 = b[o + 4], a5 = b[o + 5], a6 = b[o + 6], a7 = b[o + 7];
            for (let r = rows.start[oy]; r < rows.start[oy + 1]; r++) {
              for (let q = cols.start[ox]; q < cols.start[ox + 1]; q++) {
                const xb = (rows.src[r] * wd + cols.src[q]) * ci;
                for (let c = 0, wb = wo0 + (rows.tap[r] * k + cols.tap[q]) * ci * 8; c < ci; c++, wb += 8) {
                  const v = x[xb + c];
                  if (v === 0) continue; // ReLU zeros skip 8 multiply-adds
                  a0 += v * W[wb]; a1 += v * W[wb + 1]; a2 += v * W[wb + 2]; a3 += v * W[wb + 3];
                  a4 += v * W[wb + 4]; a5 += v * W[wb + 5]; a6 += v * W[wb + 6]; a7 += v * W[wb + 7];
                }
              }
            }
            y[yb + o] = a0; y[yb + o + 1] = a1; y[yb + o + 2] = a2; y[yb + o + 3] = a3;
            y[yb + o + 4] = a4; y[yb + o + 5] = a5; y[yb + o + 6] = a6; y[yb + o + 7] = a7;
          } else { // block 1: a narrow layer such as the last one (1 or 3 channels)
            let a = b[o];
            for (let r = rows.start[oy]; r < rows.start[oy + 1]; r++) {
              for (let q = cols.start[ox]; q < cols.start[ox + 1]; q++) {
                const xb = (rows.src[r] * wd + cols.src[q]) * ci, wb = wo0 + (rows.tap[r] * k + cols.tap[q]) * ci;
                for (let c = 0; c < ci; c++) a += x[xb + c] * W[wb + c];
              }
            }
            y[yb + o] = a;
          }
        }
      }
    }
    return y;
  };
}

// Element-wise ops work in place on the previous op's buffer, which nothing reads again.
function activation(op) {
  const alpha = op.alpha ?? 1, slope = op.slope ?? 0.01;
  const fns = {
    relu: (x) => { for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0; return x; },
    elu: (x) => { for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = alpha * Math.expm1(x[i]); return x; },
    leaky_relu: (x) => { for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] *= slope; return x; },
    silu: (x) => { for (let i = 0; i < x.length; i++) x[i] = x[i] / (1 + Math.exp(-x[i])); return x; },
    tanh: (x) => { for (let i = 0; i < x.length; i++) x[i] = Math.tanh(x[i]); return x; },
  };
  if (!fns[op.fn]) throw new Error(`unknown activation ${op.fn}`);
  return fns[op.fn];
}

function sigmoid(x) {
  for (let i = 0; i < x.length; i++) x[i] = 1 / (1 + Math.exp(-x[i]));
  return x;
}

// torch's Unflatten gives CHW; the convolutions want HWC.
function reshape(op) {
  const [c, h, wd] = op.shape, n = h * wd;
  if (c === 1) return (x) => x;
  const y = new Float32Array(c * n);
  return (x) => {
    for (let ch = 0; ch < c; ch++) for (let q = 0; q < n; q++) y[q * c + ch] = x[ch * n + q];
    return y;
  };
}

function residual(op, w) {
  const body = compileOps(op.body, w), y = new Float32Array(size(op.out_shape));
  return (x) => {
    y.set(x); // the body's first activation overwrites x in place
    const r = body(x);
    for (let i = 0; i < y.length; i++) y[i] += r[i];
    return y;
  };
}

function compileOps(ops, w) {
  const kinds = { linear, conv2d: conv, conv_transpose2d: conv, activation, reshape, residual };
  const steps = ops.map((op) => {
    if (op.op === "sigmoid") return sigmoid;
    if (!kinds[op.op]) throw new Error(`unknown op ${op.op}`);
    return kinds[op.op](op, w);
  });
  return (x) => {
    for (const step of steps) x = step(x);
    return x;
  };
}

/** Compile an exported program: decode(z) -> Float32Array image, HWC, values in [0, 1]. */
export function compile(program, weights) {
  const run = compileOps(program.ops, weights), z = new Float32Array(program.latent_dim);
  return {
    latentDim: program.latent_dim,
    imageShape: program.image_shape, // [C, H, W]
    decode(values) {
      z.set(values);
      return run(z);
    },
  };
}

export function base64ToFloat32(text) {
  const chars = atob(text), bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

async function fetchProgram(src) {
  if (src.program) return compile(src.program, base64ToFloat32(src.program.weights_b64));
  const get = async (url) => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status} (is server.enableStaticServing on?)`);
    return r;
  };
  const [program, buffer] = await Promise.all([
    get(src.program_url).then((r) => r.json()),
    get(src.weights_url).then((r) => r.arrayBuffer()),
  ]);
  return compile(program, new Float32Array(buffer));
}

/** src: {hash, program_url, weights_url} or {hash, program} -> Promise of a compiled decoder, cached by hash. */
export function loadDecoder(src) {
  if (!decoders.has(src.hash)) {
    const promise = fetchProgram(src);
    promise.catch(() => decoders.delete(src.hash)); // let a later render retry
    decoders.set(src.hash, promise);
  }
  return decoders.get(src.hash);
}

function draw(inst, out) {
  const [c, h, w] = inst.decoder.imageShape, px = inst.image.data;
  for (let q = 0, i = 0; q < h * w; q++, i += 4) {
    const r = out[q * c] * 255; // Uint8ClampedArray rounds and clamps
    px[i] = r;
    px[i + 1] = c === 3 ? out[q * c + 1] * 255 : r;
    px[i + 2] = c === 3 ? out[q * c + 2] * 255 : r;
    px[i + 3] = 255;
  }
  inst.ctx.putImageData(inst.image, 0, 0);
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
  // A z that merely echoes our own last drag end must not move a slider the user is dragging again.
  if (JSON.stringify(data.z) !== inst.sent) inst.z = data.z.slice();
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
    schedule(inst);
  }

  const events = new AbortController();
  inst.sliders.addEventListener("input", (e) => {
    const value = parseFloat(e.target.value);
    inst.z[e.target.dataset.dim] = value;
    e.target.nextElementSibling.textContent = inst.format(value);
    schedule(inst);
    // Whoever shows this z elsewhere (the map's marker, map_overlay.js) can follow the drag.
    window.dispatchEvent(new CustomEvent("latent-lab:z", { detail: { source: inst.key, z: inst.z } }));
  }, { signal: events.signal });
  // Drag end (or a key press): the z goes to Python, which reruns the page once.
  inst.sliders.addEventListener("change", () => {
    inst.sent = JSON.stringify(inst.z);
    setStateValue("z", inst.z.slice());
  }, { signal: events.signal });
  return () => events.abort();
}
