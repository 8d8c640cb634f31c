// Loading an exported decoder program (vae_core/export.py for images, vae_core/text/export.py for text): its
// JSON and raw float32 weights as two hash-named static files, or inline (base64) without static serving.
// The runtimes (decoder_runtime.js, text_decoder.js) compile it; this file comes in front of them.

// "kind:hash" -> Promise of a compiled decoder. On globalThis, not in the module: each component is its own
// module, and the decoder panel and the selection view of one page should fetch a program once.
const programs = (globalThis.__latentLabPrograms ??= new Map());

export function base64ToFloat32(text) {
  const chars = atob(text), bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) bytes[i] = chars.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

async function fetchProgram(src, compileProgram) {
  if (src.program) return compileProgram(src.program, base64ToFloat32(src.program.weights_b64));
  const get = async (url) => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status} (is server.enableStaticServing on?)`);
    return r;
  };
  const [program, buffer] = await Promise.all([
    get(src.program_url).then((r) => r.json()),
    get(src.weights_url).then((r) => r.arrayBuffer()),
  ]);
  return compileProgram(program, new Float32Array(buffer));
}

/** src: {hash, program_url, weights_url} or {hash, program} -> Promise of compileProgram(program, weights),
 * cached by kind ("image", "text": the runtime's name, as each bundle has its own compile function) and hash. */
export function loadProgram(src, compileProgram, kind) {
  const key = `${kind}:${src.hash}`;
  if (!programs.has(key)) {
    const promise = fetchProgram(src, compileProgram);
    promise.catch(() => programs.delete(key)); // let a later render retry
    programs.set(key, promise);
  }
  return programs.get(key);
}
