// bench/latency.py's init script, run in the page before Streamlit's own code: timestamps each script run as the
// server reports it over the websocket, into window.__latWs as [kind, performance.now()]: "start"
// (SessionStatus with script_is_running, or NewSession), "finished" (script_finished), then "painted" (the first
// animation frame after the finish was handled).
// Why: the page's data-test-script-state does not always show a run. When the browser is busy (2 loaded cores),
// the run's start and finish messages can be handled before React renders, which then renders "notRunning"
// once and the attribute never changes: the run happened (the URL and the map changed) but a recorder of the
// attribute saw none. bench latency times such a run from these messages instead.
(() => {
  const log = (window.__latWs = []);
  const varint = (b, i) => {
    let v = 0, s = 0, x;
    do { x = b[i++]; v += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80);
    return [v, i];
  };
  // The kind of a ForwardMsg from its top-level fields (streamlit/proto/ForwardMsg.proto): new_session = 4,
  // script_finished = 6, session_status_changed = 9 (SessionStatus.script_is_running = 2).
  function running(b, i, end) {
    while (i < end) {
      let tag, v;
      [tag, i] = varint(b, i);
      if ((tag & 7) === 0) { [v, i] = varint(b, i); if (tag >> 3 === 2) return v !== 0; }
      else if ((tag & 7) === 2) { [v, i] = varint(b, i); i += v; }
      else return false;
    }
    return false;
  }
  function kind(b) {
    let i = 0;
    while (i < b.length) {
      let tag, v;
      [tag, i] = varint(b, i);
      const field = tag >> 3, wire = tag & 7;
      if (wire === 0) { [v, i] = varint(b, i); if (field === 6) return "finished"; }
      else if (wire === 2) {
        [v, i] = varint(b, i);
        if (field === 4) return "start";
        if (field === 9) return running(b, i, i + v) ? "start" : null;
        i += v;
      } else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else return null;
    }
    return null;
  }
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      // added before Streamlit adds its own listener, so this runs first, as the message arrives
      this.addEventListener("message", (e) => {
        const k = e.data instanceof ArrayBuffer ? kind(new Uint8Array(e.data)) : null;
        if (!k) return;
        log.push([k, performance.now()]);
        if (k === "finished") setTimeout(() => requestAnimationFrame(() => log.push(["painted", performance.now()])));
      });
    }
  };
})();
