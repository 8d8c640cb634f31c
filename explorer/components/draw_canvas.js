// A drawing canvas: white strokes on black with a thick round brush. When a stroke ends the picture
// goes to Python as a PNG data URL (setStateValue); Clear blanks it and sends null.

// component root -> per-instance state that survives reruns (the canvas keeps its pixels).
const instances = new WeakMap();

function blank(ctx) {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
}

export default function ({ data, parentElement, setStateValue }) {
  const root = parentElement.querySelector('[data-testid="draw-canvas"]');
  const canvas = root.querySelector("canvas");
  const ctx = canvas.getContext("2d");
  let inst = instances.get(root);
  if (!inst) {
    inst = { strokes: 0, sent: null };
    instances.set(root, inst);
    canvas.width = canvas.height = data.side;
    blank(ctx);
    if (data.image) { // a drawing from before this mount (another page visited meanwhile): show it again
      const img = new Image();
      img.onload = () => ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      img.src = data.image;
      inst.sent = data.image;
    }
  }
  canvas.style.width = canvas.style.height = `${data.size}px`;
  Object.assign(ctx, { strokeStyle: "#fff", fillStyle: "#fff", lineCap: "round", lineJoin: "round",
                       lineWidth: data.brush });

  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  let last = null;
  // Streamlit calls this function again on every rerun but its cleanup only on unmount: the previous run's
  // listeners go first, or every rerun would add one more of each.
  if (inst.events) inst.events.abort();
  const events = (inst.events = new AbortController()), signal = events.signal;
  canvas.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    ctx.beginPath(); // a click alone leaves a dot
    ctx.arc(last[0], last[1], data.brush / 2, 0, 2 * Math.PI);
    ctx.fillStyle = "#fff";
    ctx.fill();
  }, { signal });
  canvas.addEventListener("pointermove", (e) => {
    if (!last) return;
    const p = at(e);
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(p[0], p[1]);
    ctx.stroke();
    last = p;
  }, { signal });
  const end = () => {
    if (!last) return;
    last = null;
    inst.strokes += 1;
    root.dataset.strokes = String(inst.strokes);
    inst.sent = canvas.toDataURL("image/png");
    setStateValue("image", inst.sent);
  };
  canvas.addEventListener("pointerup", end, { signal });
  canvas.addEventListener("pointercancel", end, { signal });
  root.querySelector("button").addEventListener("click", () => {
    blank(ctx);
    inst.strokes = 0;
    root.dataset.strokes = "0";
    inst.sent = null;
    setStateValue("image", null);
  }, { signal });
  return () => events.abort();
}
