// The text decoder panel: the slider panel (slider_panel.js) showing z's sentence, greedy-decoded.
// program_loader.js, text_decoder.js and slider_panel.js come in front of this file.

function showSentence(inst) {
  const { text, tokens } = inst.decoder.decode(inst.z);
  // A decode that hit the token limit before its end-of-sentence token is cut: say so.
  const cut = tokens.length === inst.decoder.maxTokens && tokens[tokens.length - 1] !== inst.decoder.eos;
  inst.output.textContent = cut ? `${text}…` : text;
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
