// The text decoder panel: the slider panel (slider_panel.js) showing z's sentence, greedy-decoded.
// program_loader.js, text_decoder.js and slider_panel.js come in front of this file.

function showSentence(inst) {
  inst.output.textContent = decodedSentence(inst.decoder, inst.z);
}

const TEXT_VIEW = {
  output: (root) => root.querySelector(".sentence"),
  load: loadTextDecoder,
  show: showSentence,
  resize(inst, data) {
    inst.output.style.minWidth = `${data.size}px`;
  },
  loaded() {},
};

export default function (args) {
  return runPanel(args, TEXT_VIEW);
}
