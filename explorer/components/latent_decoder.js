// The image decoder panel: the slider panel (slider_panel.js) showing z's image on a canvas.
// program_loader.js, decoder_runtime.js and slider_panel.js come in front of this file.

function drawImage(inst) {
  const out = inst.decoder.decode(inst.z);
  inst.ctx.putImageData(toImageData(out, inst.decoder.imageShape, inst.image), 0, 0);
}

// Scale the canvas by a whole number, so nearest-neighbour pixels stay square and sharp.
function fit(inst) {
  if (!inst.decoder) return;
  const [, h, w] = inst.decoder.imageShape, scale = Math.max(1, Math.floor(inst.size / Math.max(h, w)));
  Object.assign(inst.output.style, { width: `${w * scale}px`, height: `${h * scale}px` });
}

const IMAGE_VIEW = {
  output: (root) => root.querySelector("canvas"),
  load: loadDecoder,
  show: drawImage,
  resize(inst, data) {
    inst.size = data.size;
    fit(inst);
  },
  loaded(inst) {
    const [, h, w] = inst.decoder.imageShape;
    Object.assign(inst.output, { width: w, height: h });
    inst.ctx ??= inst.output.getContext("2d");
    inst.image = inst.ctx.createImageData(w, h);
    fit(inst);
  },
};

export default function (args) {
  return runPanel(args, IMAGE_VIEW);
}
