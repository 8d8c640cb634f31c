"""Process-wide settings that keep the app's server responsive, applied once after its first run.

- One torch intra-op thread. The server's torch work per interaction is tiny (decoding a few latents),
  and with two OpenMP threads each op waits at a barrier for a worker that the browser, busy on the
  other core, has descheduled: measured in the Explore page, a one-image decode took 30-53 ms instead
  of 1-5 ms during map clicks. Many sessions on one server share the cores anyway; training runs in
  its own process (vae_core.jobs.worker) with torch's default threads.
- Python's garbage collector: with torch, plotly and sklearn loaded a full collection scans ~300k
  long-lived objects (70-220 ms each, measured). Freezing what exists after the first run (modules,
  classes, plotly's validators, the cached model) takes it out of every later scan; objects made
  afterwards are collected as usual.
"""

import gc

import torch

_done = False


def tune_once() -> None:
    """Apply the settings above; only the first call in a process does anything."""
    global _done
    if _done:
        return
    _done = True
    torch.set_num_threads(1)
    if not gc.get_freeze_count():  # `python -m explorer` collected before serving; this run left little garbage
        gc.collect()  # what is garbage now is freed, not frozen (0.5 s of a first page view)
    gc.freeze()
