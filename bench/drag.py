"""Images per second while dragging a latent slider, in headless Chromium, side by side: the explorer's
in-browser decoder (tests/e2e/decoder_demo.py) against native st.slider widgets that decode with torch
on each rerun (bench/native_slider_app.py). Both show the same seeded default conv 28x28 decoder.

The mouse moves back and forth along the slider at a hand's pace (--rate moves per second, --speed px/s);
the page itself counts pointer events and images drawn (canvas redraws, or new <img> sources).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench import (
    APP_DONE,
    BENCH,
    REPO,
    ainterleave,
    chromium,
    chromium_missing,
    e2e_helpers,
    header,
    line_plot,
    median,
    open_app,
    sweep,
    table,
)

DECODER = '[data-testid="latent-decoder"]'
# Page-side recorder: pointer events anywhere, and each new item in `el` (the data-frames attribute of a canvas
# or of the text panel's sentence, else a new <img> src, else new text), timed with performance.now().
RECORDER_JS = """(el) => {
  const log = window.__bench = {events: [], frames: [], paints: []};
  if (!window.__benchPointer) {
    window.__benchPointer = true;
    window.addEventListener("pointermove", () => window.__bench.events.push(performance.now()), {capture: true});
    const tick = (t) => { window.__bench.paints.push(t); requestAnimationFrame(tick); };
    requestAnimationFrame(tick);  // the browser's own frame rate: what a busy machine leaves it
  }
  const read = () => el.dataset.frames ?? (el.querySelector("img")?.src || el.textContent);
  let last = read();
  new MutationObserver(() => {
    const now = read();
    if (now && now !== last) { last = now; log.frames.push(performance.now()); }
  }).observe(el, {subtree: true, childList: true, characterData: true, attributes: true,
                  attributeFilter: ["data-frames", "src"]});
}"""


async def drag_once(page, target, thumb_box, track_box, args, settle_ms: float = 1500) -> dict:
    """One drag over a slider; counts images during the drag and after the release."""
    await target.evaluate(RECORDER_JS)
    lo, hi = track_box["x"] + 10, track_box["x"] + track_box["width"] - 10
    x0, y = thumb_box["x"] + thumb_box["width"] / 2, thumb_box["y"] + thumb_box["height"] / 2
    t_start, t_end = await sweep(page, lo, hi, min(max(x0, lo), hi), y, args.seconds, args.rate, args.speed)
    await page.mouse.up()
    t_up = await page.evaluate("performance.now()")
    await page.wait_for_timeout(300)
    await page.wait_for_selector(APP_DONE)
    await page.wait_for_timeout(settle_ms)
    log = await page.evaluate("window.__bench")
    during = [t for t in log["frames"] if t_start <= t <= t_end]
    after = [t for t in log["frames"] if t > t_end]
    events = [t for t in log["events"] if t_start <= t <= t_end]
    paints = [t for t in log["paints"] if t_start <= t <= t_end]
    seconds = (t_end - t_start) / 1000
    return {"seconds": seconds, "events_per_s": len(events) / seconds, "images": len(during),
            "browser_fps": len(paints) / seconds,
            "images_per_s": len(during) / seconds, "after_release": len(after),
            "release_to_image_ms": (after[0] - t_up) if after else None,
            "timeline": [(t - t_start) / 1000 for t in log["frames"] if t >= t_start]}


async def component_drag(page, url: str, args) -> dict:
    await open_app(page, url)
    shown = f"{DECODER} [data-frames]"  # the image panel's canvas, the text panel's sentence
    await page.locator(f'{DECODER}[data-ready="true"] [data-frames]:not([data-frames="0"])').wait_for()
    slider = page.locator(f"{DECODER} input[type=range]").first
    box = await slider.bounding_box()
    lo, hi, value = [float(await slider.evaluate(f"e => e.{a}")) for a in ("min", "max", "value")]
    thumb = {"x": box["x"] + (value - lo) / (hi - lo) * (box["width"] - 16), "y": box["y"], "width": 16,
             "height": box["height"]}
    row = await drag_once(page, page.locator(shown), thumb, box, args)
    row["decode_ms"] = float(await page.locator(shown).get_attribute("data-decode-ms"))
    return row


async def native_drag(page, url: str, args) -> dict:
    await open_app(page, url)
    await page.locator(".st-key-native-image :is(img, code)").first.wait_for()  # an image, or a sentence (--text)
    thumb = page.locator(".st-key-z0 input[type=range]").locator("xpath=../..")  # react-aria's thumb
    track = page.locator('.st-key-z0 [role="group"] > [data-orientation="horizontal"]')
    row = await drag_once(page, page.locator(".st-key-native-image"), await thumb.bounding_box(),
                          await track.bounding_box(), args)
    row["decode_ms"] = float(await page.locator(".st-key-native-decode-ms").inner_text())
    return row


async def run(args) -> dict[str, list]:
    h = e2e_helpers()
    pages = (("tests/e2e/text_decoder_demo.py", "bench/native_text_app.py") if args.text
             else ("tests/e2e/decoder_demo.py", "bench/native_slider_app.py"))
    with h.streamlit_server(pages[0]) as demo, h.streamlit_server(pages[1]) as native:
        if args.text:
            url_demo, url_native = demo.url(ckpt=args.text, dims="0,1"), native.url(ckpt=args.text)
        else:
            url_demo = (demo.url(ckpt=args.ckpt, dims="0,1") if args.ckpt
                        else demo.url(arch="conv", shape="1x28x28", latent=args.latent, dims="0,1"))
            url_native = native.url(latent=args.latent)
        async with chromium() as page:
            return await ainterleave({
                "in-browser decoder (explorer component)": lambda: component_drag(page, url_demo, args),
                "native st.slider, torch decode per rerun": lambda: native_drag(page, url_native, args),
            }, args.reps, warmup=not args.quick)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench drag", description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=3.0, help="length of each drag (default 3)")
    p.add_argument("--rate", type=float, default=90.0, help="mouse moves per second (default 90)")
    p.add_argument("--speed", type=float, default=300.0, help="pointer speed in px/s (default 300)")
    p.add_argument("--reps", type=int, default=3, help="drags per side, interleaved (default 3)")
    p.add_argument("--latent", type=int, default=2, help="latent size of the decoder (default 2)")
    p.add_argument("--ckpt", help="decode with this checkpoint of the checkpoints folder (e.g. mnist-2d, the app's "
                   "default) instead of a seeded default conv")
    p.add_argument("--text", metavar="CKPT", help="a text checkpoint (e.g. grammar-16d): sentences greedy-decoded "
                   "by the text panel (tests/e2e/text_decoder_demo.py) against native sliders with torch "
                   "(bench/native_text_app.py); target >= 30 sentences/s")
    p.add_argument("--plot", action="store_true", help="write bench/drag.png: images shown over one drag")
    p.add_argument("--quick", action="store_true", help="smoke settings: 1 s drags, 1 rep, no warm-up")
    args = p.parse_args(argv)
    if why := chromium_missing():
        print(f"skipped: {why}")
        return 0
    if args.quick:
        args.seconds, args.reps = 1.0, 1
    header("drag: images per second while dragging a latent slider")
    model = (f"text checkpoint {args.text}, greedy decoding up to 64 characters (images = sentences)" if args.text
             else f"checkpoint {args.ckpt}" if args.ckpt else f"default conv 28x28 decoder, z={args.latent}")
    print(f"{model}; {args.seconds:g} s drags, {args.rate:g} mouse moves/s "
          f"at {args.speed:g} px/s, {args.reps} interleaved reps per side after a warm-up drag\n", flush=True)
    res = asyncio.run(run(args))
    rows = []
    for name, runs in res.items():
        rows.append([name, median(r["events_per_s"] for r in runs), median(r["browser_fps"] for r in runs),
                     median(r["images_per_s"] for r in runs),
                     median(r["images_per_s"] / r["browser_fps"] for r in runs if r["browser_fps"]),
                     median(r["images"] for r in runs), median(r["after_release"] for r in runs),
                     median(r["release_to_image_ms"] for r in runs), median(r["decode_ms"] for r in runs),
                     " ".join(f"{r['images_per_s']:.1f}" for r in runs)])
    print(table(["slider", "pointer events/s", "browser frames/s", "images/s during drag (median)",
                 "images per browser frame",
                 "images during drag", "images after release", "release -> image ms", "decode ms per image",
                 "images/s per rep"], rows))
    comp, nat = (median(r["images_per_s"] for r in runs) for runs in res.values())
    kept = median(r["images_per_s"] / r["browser_fps"] for r in next(iter(res.values())) if r["browser_fps"])
    target = 30 if args.text else 55
    print(f"\nin-browser decoder: {comp:.1f} images/s during the drag (target >= {target}: "
          f"{'met' if comp >= target else 'MISSED'}), {kept:.2f} images per browser frame; "
          f"native st.slider: {nat:.1f} images/s during the drag. "
          "Browser frames/s: requestAnimationFrame callbacks during the drag (60 when the machine leaves Chromium "
          "enough CPU; the component draws at most one image per frame). Decode ms: the component's mean JS "
          "forward pass + draw (last 60 frames); native: torch on the server.")
    if args.plot:
        series = [(name, [0.0, *runs[-1]["timeline"]], list(range(len(runs[-1]["timeline"]) + 1)))
                  for name, runs in res.items()]
        path = line_plot(BENCH / "drag.png", series, f"images shown during a {args.seconds:g} s drag (mouse up at "
                         f"{args.seconds:g} s)", "seconds since mouse down", "images shown", step=True)
        print(f"plot: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
