// The test set in the browser, fetched once per checkpoint (explorer/components/points.py): meta (count,
// latent size, labels; tile size for images, the sentences for text), mu as one Float32Array and the images as a
// sprite sheet (an ImageBitmap; null for text).
// Sent in front of the components that use it (selection_view.js, text_selection.js, interpolation_strip.js,
// point_map.js).

// point-set hash -> Promise of {meta, mu, sheet}; on globalThis so that every view of a page shares it.
const pointSets = (globalThis.__latentLabPoints ??= new Map());

async function fetchOk(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} (is server.enableStaticServing on?)`);
  return r;
}

async function fetchPoints(src) {
  const [meta, mu, sheet] = await Promise.all([
    src.meta ?? fetchOk(src.meta_url).then((r) => r.json()),
    src.mu_b64 ? base64ToFloat32(src.mu_b64) : fetchOk(src.mu_url).then((r) => r.arrayBuffer())
      .then((b) => new Float32Array(b)),
    src.sprite_url ? fetchOk(src.sprite_url).then((r) => r.blob()).then((b) => createImageBitmap(b)) : null,
  ]);
  if (mu.length !== meta.n * meta.latent_dim) throw new Error(`mu holds ${mu.length} values, not ${meta.n} x ${meta.latent_dim}`);
  return { meta, mu, sheet };
}

function loadPoints(src) {
  if (!pointSets.has(src.hash)) {
    const promise = fetchPoints(src);
    promise.catch(() => pointSets.delete(src.hash)); // let a later render retry
    pointSets.set(src.hash, promise);
  }
  return pointSets.get(src.hash);
}

function pointLabel(points, i) {
  const y = points.meta.labels ? points.meta.labels[i] : null;
  if (y === null || y === undefined) return "-";
  return points.meta.names && points.meta.names[y] !== undefined ? points.meta.names[y] : String(y);
}

function muOf(points, i) {
  const d = points.meta.latent_dim;
  return points.mu.subarray(i * d, (i + 1) * d);
}

