// In-browser greedy decoding of a text VAE's GRU decoder, exported by vae_core/text/export.py (the layout and
// the float64 reference, greedy_decode, are there). Weights stay float32; sums run in JS doubles. Every buffer
// is allocated once per model: a decode allocates nothing but the token list.
//
// Components that show sentences (text_panel.js, text_selection.js) are sent with program_loader.js and this file in front of
// their own code.

// y[o] = (b ? b[o] : 0) + W[o, :] . x for W [m x n] at offset `w` of `all`; four chains hide the add latency.
function matvec(all, w, b, m, n, x, y) {
  const n4 = n - (n % 4);
  for (let o = 0, k = w; o < m; o++, k += n) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let i = 0; i < n4; i += 4) {
      a0 += x[i] * all[k + i];
      a1 += x[i + 1] * all[k + i + 1];
      a2 += x[i + 2] * all[k + i + 2];
      a3 += x[i + 3] * all[k + i + 3];
    }
    for (let i = n4; i < n; i++) a0 += x[i] * all[k + i];
    y[o] = (b === null ? 0 : all[b + o]) + (a0 + a1) + (a2 + a3);
  }
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

/** Compile an exported text program: decode(z) -> {tokens, text}, greedy, at most max_tokens tokens. */
export function compileText(program, weights) {
  const { hidden: H, latent_dim: D, vocab_size: V, offsets: at, alphabet, specials, bos, eos } = program;
  const h = new Float64Array(H), gz = new Float64Array(3 * H), gh = new Float64Array(3 * H);
  const logits = new Float64Array(V), z = new Float64Array(D);
  const chars = Array.from(alphabet);
  return {
    latentDim: D,
    maxTokens: program.max_tokens,
    eos,
    decode(values, maxTokens = program.max_tokens) {
      z.set(values);
      matvec(weights, at.h0_w, at.h0_b, H, D, z, h);
      for (let i = 0; i < H; i++) h[i] = Math.tanh(h[i]);
      matvec(weights, at.wz, null, 3 * H, D, z, gz); // z's share of the input gates: the same at every step
      const tokens = [];
      let token = bos, text = "";
      for (let step = 0; step < maxTokens; step++) {
        matvec(weights, at.whh, at.bhh, 3 * H, H, h, gh);
        const row = at.table + token * 3 * H; // the token's input gates, bias included
        for (let i = 0; i < H; i++) {
          const r = sigmoid(weights[row + i] + gz[i] + gh[i]);
          const u = sigmoid(weights[row + H + i] + gz[H + i] + gh[H + i]);
          const n = Math.tanh(weights[row + 2 * H + i] + gz[2 * H + i] + r * gh[2 * H + i]);
          h[i] = (1 - u) * n + u * h[i];
        }
        matvec(weights, at.out_w, at.out_b, V, H, h, logits);
        token = 0;
        for (let v = 1; v < V; v++) if (logits[v] > logits[token]) token = v; // first maximum, as numpy and torch
        tokens.push(token);
        if (token === eos) break;
        if (token >= specials) text += chars[token - specials];
        else if (token === program.unk) text += "\ufffd"; // unk, as vocab.decode shows it
      }
      return { tokens, text };
    },
  };
}

/** decoder.decode(z)'s sentence as a view shows it: a decode that hit the token limit before its
 * end-of-sentence token is cut, and says so with an ellipsis. */
export function decodedSentence(decoder, z) {
  const { text, tokens } = decoder.decode(z);
  const cut = tokens.length === decoder.maxTokens && tokens[tokens.length - 1] !== decoder.eos;
  return cut ? `${text}…` : text;
}

/** src: {hash, program_url, weights_url} or {hash, program} -> Promise of a compiled text decoder, by hash. */
export function loadTextDecoder(src) {
  return loadProgram(src, compileText, "text");
}
