// The selected test image, answered in the browser (selection_core.js): its original, from the test set's
// sprite sheet, and decode(mu) with the in-browser decoder, in the frame after a map click.
// program_loader.js, decoder_runtime.js, points.js and selection_core.js come in front of this file.

// Whole-number zoom, so nearest-neighbour pixels stay square.
function sizeCanvas(canvas, h, w, target) {
  const scale = Math.max(1, Math.floor(target / Math.max(h, w)));
  Object.assign(canvas, { width: w, height: h });
  Object.assign(canvas.style, { width: `${w * scale}px`, height: `${h * scale}px` });
}

const IMAGE_SELECTION = {
  init(sel, root) {
    const [originalCanvas, reconCanvas] = root.querySelectorAll("canvas");
    Object.assign(sel, { originalCanvas, reconCanvas, original: originalCanvas.getContext("2d"),
                         recon: reconCanvas.getContext("2d") });
  },
  prepare(sel, data) {
    sizeCanvas(sel.originalCanvas, data.tile[0], data.tile[1], data.size);
    sizeCanvas(sel.reconCanvas, data.tile[0], data.tile[1], data.size);
  },
  load: (data) => Promise.all([loadDecoder(data.src), loadPoints(data.points)])
    .then(([decoder, points]) => ({ decoder, points })),
  loaded(sel) {
    const [, h, w] = sel.decoder.imageShape;
    sizeCanvas(sel.originalCanvas, sel.points.meta.tile[0], sel.points.meta.tile[1], sel.size);
    sizeCanvas(sel.reconCanvas, h, w, sel.size);
    sel.image = sel.recon.createImageData(w, h);
  },
  paint(sel, index) {
    const { points, decoder } = sel, [h, w] = points.meta.tile, cols = points.meta.cols;
    sel.original.drawImage(points.sheet, (index % cols) * w, Math.floor(index / cols) * h, w, h, 0, 0, w, h);
    sel.recon.putImageData(toImageData(decoder.decode(muOf(points, index)), decoder.imageShape, sel.image), 0, 0);
    return `Test image #${index} · label ${pointLabel(points, index)}`;
  },
};

export default function (args) {
  return runSelection(args, IMAGE_SELECTION);
}
