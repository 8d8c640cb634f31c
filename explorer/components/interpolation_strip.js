// The interpolation strip, computed and drawn in the browser: the path from mu_A to mu_B (interpolate.js)
// decoded with the in-browser decoder into one canvas, redrawn on every input of the steps slider while it
// is dragged; the release sends the steps to Python, whose rerun redraws the map path and the norms.
// program_loader.js, decoder_runtime.js, points.js and interpolate.js come in front of this file.

const strips = new WeakMap(); // component root -> state that survives reruns
const PAD = 1; // white pixels between tiles, as vae_core.images.crisp_grid leaves

function paint(strip) {
  strip.frame = 0;
  const { decoder, points, canvas, ctx, root } = strip, { a, b, method } = strip.data, steps = strip.steps;
  const d = points.meta.latent_dim, [, h, w] = decoder.imageShape;
  const mu = (i) => points.mu.subarray(i * d, (i + 1) * d);
  shapeCanvas(canvas, [h, w], steps);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const image = ctx.createImageData(w, h);
  PATHS[method](mu(a), mu(b), steps).forEach((z, k) => {
    ctx.putImageData(toImageData(decoder.decode(z), decoder.imageShape, image), PAD + k * (w + PAD), PAD);
  });
  root.querySelector(".caption").textContent =
    `#${a} (label ${pointLabel(points, a)}) → #${b} (label ${pointLabel(points, b)}), ${steps} steps by ${method}`;
  strip.draws += 1;
  Object.assign(root.dataset, { draws: strip.draws, steps, drawnAt: performance.now() }); // hooks for tests
}

// The canvas takes its final shape at once, before anything is loaded: the page below it must not jump
// when the strip first draws (a click aimed at the map would land elsewhere).
function shapeCanvas(canvas, [h, w], steps) {
  Object.assign(canvas, { width: steps * (w + PAD) + PAD, height: h + 2 * PAD });
}

function schedule(strip) {
  if (strip.ready && !strip.frame) strip.frame = requestAnimationFrame(() => paint(strip));
}

export default function ({ data, parentElement, setStateValue }) {
  const root = parentElement.querySelector('[data-testid="interpolation-strip"]');
  let strip = strips.get(root);
  if (!strip) {
    const canvas = root.querySelector("canvas");
    strip = { root, canvas, ctx: canvas.getContext("2d"), input: root.querySelector("input"), draws: 0, frame: 0,
              ready: false, loading: null, drawn: null, sent: null };
    strips.set(root, strip);
  }
  const { input } = strip, output = root.querySelector("output");
  Object.assign(input, { min: data.min_steps, max: data.max_steps, step: 1 });
  // Python's steps win unless they echo our own last release (the user may be dragging again).
  if (String(data.steps) !== strip.sent) strip.steps = data.steps;
  input.value = output.textContent = strip.steps;
  strip.data = data;
  if (!strip.ready) shapeCanvas(strip.canvas, data.tile, strip.steps);
  const key = JSON.stringify([data.a, data.b, data.method, strip.steps, data.src.hash, data.points.hash]);
  if (strip.loading !== `${data.src.hash}/${data.points.hash}`) {
    strip.loading = `${data.src.hash}/${data.points.hash}`;
    strip.ready = false;
    Promise.all([loadDecoder(data.src), loadPoints(data.points)]).then(([decoder, points]) => {
      if (strip.loading !== `${data.src.hash}/${data.points.hash}`) return; // a newer checkpoint meanwhile
      Object.assign(strip, { decoder, points, ready: true, drawn: key });
      root.dataset.ready = "true";
      schedule(strip);
    }).catch((err) => {
      root.querySelector(".error").textContent = `interpolation failed to load: ${err.message}`;
      strip.loading = null;
    });
  } else if (key !== strip.drawn) { // a rerun with the same path draws nothing
    strip.drawn = key;
    schedule(strip);
  }

  // Streamlit calls this function again on every rerun but its cleanup only on unmount: the previous run's
  // listeners go first, or every rerun would add one more of each.
  if (strip.events) strip.events.abort();
  const events = (strip.events = new AbortController());
  input.addEventListener("input", () => {
    strip.steps = Number(input.value);
    output.textContent = strip.steps;
    if (!strip.ready) shapeCanvas(strip.canvas, data.tile, strip.steps);
    strip.drawn = JSON.stringify([data.a, data.b, data.method, strip.steps, data.src.hash, data.points.hash]);
    schedule(strip);
  }, { signal: events.signal });
  input.addEventListener("change", () => {
    strip.sent = String(strip.steps);
    setStateValue("steps", strip.steps);
  }, { signal: events.signal });
  return () => events.abort();
}
