// The selected test sentence, answered in the browser (selection_core.js): the sentence, from the point set's
// meta (points.py), and the greedy decode of its mu (text_decoder.js, as the text panel decodes), in the frame
// after a map click. program_loader.js, text_decoder.js, points.js and selection_core.js come in front.

const TEXT_SELECTION = {
  init(sel, root) {
    Object.assign(sel, { sentence: root.querySelector(".original"), recon: root.querySelector(".recon"),
                         exact: root.querySelector(".exact") });
  },
  prepare() {}, // sentences take their column's width: nothing to size
  load: (data) => Promise.all([loadTextDecoder(data.src), loadPoints(data.points)])
    .then(([decoder, points]) => ({ decoder, points })),
  loaded() {},
  paint(sel, index) {
    const original = sel.points.meta.texts[index], recon = decodedSentence(sel.decoder, muOf(sel.points, index));
    sel.sentence.textContent = original || "(empty sentence)";
    sel.recon.textContent = recon || "(empty sentence)";
    sel.exact.hidden = recon !== original;
    return `Test sentence #${index} · label ${pointLabel(sel.points, index)}`;
  },
};

export default function (args) {
  return runSelection(args, TEXT_SELECTION);
}
