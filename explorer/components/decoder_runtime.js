// In-browser VAE decoder runtime: compiles the program exported by vae_core/export.py into
// decode(z) -> image. Tensors are flat Float32Arrays, feature maps channels-last (HWC); every buffer
// is allocated once when the program is compiled.
//
// Components that decode in the browser (latent_decoder.js, selection_view.js) are sent with program_loader.js
// and this file in front of their own code (explorer.components.bundle): a component's JS is one module.

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

/** src: {hash, program_url, weights_url} or {hash, program} -> Promise of a compiled decoder, cached by hash. */
export function loadDecoder(src) {
  return loadProgram(src, compile, "image");
}

/** Write decode's HWC output (values in [0, 1]) into an ImageData of the same height and width. */
export function toImageData(out, imageShape, image) {
  const [c, h, w] = imageShape, px = image.data;
  for (let q = 0, i = 0; q < h * w; q++, i += 4) {
    const r = out[q * c] * 255; // Uint8ClampedArray rounds and clamps
    px[i] = r;
    px[i + 1] = c === 3 ? out[q * c + 1] * 255 : r;
    px[i + 2] = c === 3 ? out[q * c + 2] * 255 : r;
    px[i + 3] = 255;
  }
  return image;
}
