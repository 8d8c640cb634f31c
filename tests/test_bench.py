"""Smoke tests for bench/: each benchmark starts and prints its table on tiny settings (`--quick`).

Benchmarks are not tests: their numbers are recorded in bench/README.md, not asserted here. The
browser ones are marked e2e and skip without Debian's Chromium.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench import line_plot, median, p95, table
from bench.__main__ import NAMES
from bench.__main__ import main as bench_main

REPO = Path(__file__).resolve().parents[1]
needs_chromium = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(),
                                    reason="/usr/bin/chromium missing (make chromium)")


def bench(*args: str, timeout: float = 240) -> str:
    """Run `python -m bench ARGS` as a user would; returns stdout, or fails with the output's tail."""
    # PASSIVE: on a busy 2-core machine, OpenMP's default spin-waiting makes torch several times slower.
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.run([sys.executable, "-m", "bench", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert f"command: `python -m bench {' '.join(args)}`" in proc.stdout
    assert "machine: " in proc.stdout and "nproc=" in proc.stdout
    return proc.stdout


def rows(out: str, first_cell: str) -> list[list[str]]:
    """Data rows of the printed markdown tables whose first cell starts with `first_cell`."""
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in out.splitlines()
             if line.startswith("| ")]
    return [r for r in cells if r[0].startswith(first_cell)]


def number(cell: str) -> float:
    return float(cell)


# --- helpers ---------------------------------------------------------------------------------------------


def test_table_median_p95_and_plot(tmp_path):
    text = table(["a", "b"], [["x", 1234.5], ["y", 0.012345], ["z", float("nan")]])
    assert text.splitlines() == ["| a | b |", "|---|---|", "| x | 1234 |", "| y | 0.0123 |", "| z | n/a |"]
    assert median([3, 1, 2, None]) == 2 and p95(list(range(101))) == 95
    path = line_plot(tmp_path / "p.png", [("up", [0, 1, 2], [0, 1, 4]), ("flat", [0, 2], [1, 1])], "t", "x", "y",
                     step=True)
    from PIL import Image

    with Image.open(path) as im:
        assert im.size == (720, 420) and len(im.getcolors(100_000)) > 3  # lines and text, not a blank image


def test_usage_lists_every_benchmark(capsys):
    assert bench_main([]) == 2
    out = capsys.readouterr().out
    names = ("train", "quality", "drag", "latency", "startup", "map", "pages", "imports", "text", "codec", "dist",
             "pointmap", "text_speed", "replicas", "compression")
    assert all(f"  {name} " in out for name in names)
    assert set(NAMES) == set(names)


# --- each benchmark, tiny settings ------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_dist_quick():
    out = bench("dist", "--quick")
    assert [r[0] for r in rows(out, "")][1:] == ["1 process, 1 thread", "1 process, 2 threads",
                                               "torchrun: 2 processes, 1 thread each"]
    pair = rows(out, "torchrun")[0]
    assert abs(number(pair[2])) < 0.5 and number(pair[3]) > 0  # test -ELBO vs one process; images/s


def test_gpu_script_dry_run_lists_its_steps():
    proc = subprocess.run(["bash", "bench/gpu.sh", "--dry-run"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    steps = [line.split("]")[0] for line in proc.stdout.splitlines() if line.startswith("+ [")]
    assert steps == ["+ [test_cuda, limit 150s", "+ [bench_train, limit 150s", "+ [mnist_fp32, limit 75s",
                     "+ [mnist_bf16, limit 75s"]  # 450 s: the 8 minutes with room to start


@pytest.mark.timeout(300)
def test_train_quick():
    out = bench("train", "--quick")
    paths = rows(out, "")
    names = [r[0] for r in paths]
    assert any(n.startswith("bare loop (pytorch/examples") for n in names)
    assert any(n.startswith("app path (jobs.TrainingJob") for n in names)
    assert any(n.startswith("vae_core Trainer, default conv") for n in names)
    trainer = rows(out, "vae_core Trainer (no callback)")[0]
    assert number(trainer[1]) > 0 and number(trainer[4]) > 0  # images/s, speed vs bare


@pytest.mark.timeout(300)
def test_text_quick():
    out = bench("text", "--quick")
    names = [r[0] for r in rows(out, "")]
    assert names[1:] == ["VAE, default remedies", "GRU language model (same decoder)", "VAE, no remedies"]
    lm = rows(out, "GRU language model")[0]
    assert number(lm[1]) > 0 and lm[2] == "1.0000" and number(lm[4]) == 0  # its own ratio; no KL
    assert all(r[-1] == "finished" for r in rows(out, "VAE"))


@pytest.mark.timeout(300)
def test_text_speed_quick():
    out = bench("text_speed", "--quick")
    names = [r[0] for r in rows(out, "")][1:]
    assert names == ["bare loop (bucketed batches)", "Trainer (bucketed batches)", "Trainer, shuffled batches (before)"]
    assert number(rows(out, "bare loop")[0][2]) == 1.0


@pytest.mark.timeout(300)
def test_quality_quick():
    out = bench("quality", "--quick")
    found = rows(out, "digits")
    assert [r[1] for r in found] == ["--arch mlp --hidden 400"]
    for r in found:
        neg_elbo, recon, kl = number(r[3]), number(r[4]), number(r[5])
        assert neg_elbo == pytest.approx(recon + kl, rel=0.01) and neg_elbo > 0
        assert number(r[6]) > 0  # IWAE NLL


@pytest.mark.timeout(300)
def test_imports_quick():
    out = bench("imports", "--quick")
    names = ("python -c 'import torch'", "python -m vae_core info digits-2d", "python -c 'import vae_core'")
    startup = {r[0]: r for r in rows(out, "python -") if r[0] in names}
    assert set(startup) == set(names)
    assert all(number(r[1]) > 0 for r in startup.values())
    [bare], [cli] = rows(out, "bare PyTorch script"), rows(out, "python -m vae_core train")
    assert number(bare[1]) > 0 and number(cli[1]) > 0 and number(cli[3]) > 0  # wall s, vs bare


@pytest.mark.timeout(300)
def test_map_quick_without_browser():
    out = bench("map", "--quick", "--no-browser")
    sizes = [r[0] for r in rows(out, "1000") + rows(out, "2000")]
    assert sizes == ["1000", "2000"]
    assert "browser part skipped" in out


@pytest.mark.e2e
@needs_chromium
@pytest.mark.timeout(300)
def test_map_quick_pans_the_plot():
    out = bench("map", "--quick")
    pan = rows(out, "2000")
    assert any(r[1] == "pan (drag)" and r[-1] == "True" and number(r[2]) > 0 for r in pan), out


@pytest.mark.e2e
@needs_chromium
@pytest.mark.timeout(300)
def test_pointmap_quick():
    out = bench("pointmap", "--quick")
    assert {r[0] for r in rows(out, "")} >= {"st.plotly_chart (bench/map_app.py)", "point_map (canvas)", "empty page"}
    canvas = [r for r in rows(out, "point_map") if len(r) == 7][0]
    assert number(canvas[4]) > 0  # redraws were timed while panning


@pytest.mark.e2e
@needs_chromium
@pytest.mark.timeout(300)
def test_drag_quick():
    out = bench("drag", "--quick")
    component = rows(out, "in-browser decoder")[0]
    native = rows(out, "native st.slider")[0]
    assert number(component[3]) > 5  # the component draws while dragging
    assert number(native[6]) >= 1  # the native slider shows an image after the release


@pytest.mark.e2e
@needs_chromium
@pytest.mark.timeout(300)
def test_latency_quick():
    out = bench("latency", "--quick")  # an image and a text checkpoint (issue 14), one server
    events = ["decoder slider release (Explore)", "map click (Explore)", "native st.slider release (Generate)"]
    for name in ("digits-2d", "grammar-16d"):
        found = rows(out, name)
        assert [r[1] for r in found] == events, out
        assert all(r[-1] == "0" for r in found), out  # every event caused its rerun
        assert number(rows(out, name)[1][2]) > 0, out  # the click was drawn by the browser (the selection view)
    assert "grammar-16d (text, issue 14: <= 150 ms median to the updated page): map click drawn in the browser" in out


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_the_websocket_recorder_reads_script_runs_from_forward_msgs():
    """bench/script_runs.js, run in node with a stand-in WebSocket, on the server's real ForwardMsg bytes."""
    import json

    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msgs = [ForwardMsg(), ForwardMsg(), ForwardMsg(), ForwardMsg(), ForwardMsg()]
    msgs[0].session_status_changed.script_is_running = True
    msgs[0].metadata.delta_path.extend([0, 1])  # a field before the one that counts
    msgs[1].delta.new_element.markdown.body = "x" * 300  # a long length-delimited field: skipped
    msgs[2].session_status_changed.script_is_running = False
    msgs[3].script_finished = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
    msgs[4].new_session.main_script_path = "explorer/app.py"  # a full rerun starts so
    frames = [list(m.SerializeToString()) for m in msgs]
    script = f"""
    globalThis.window = globalThis;
    globalThis.requestAnimationFrame = (fn) => setTimeout(fn, 1);
    globalThis.WebSocket = class {{ addEventListener(type, fn) {{ this.listener = fn; }} }};
    {(REPO / "bench" / "script_runs.js").read_text()}
    const ws = new window.WebSocket("ws://x");
    for (const bytes of {json.dumps(frames)}) ws.listener({{ data: new Uint8Array(bytes).buffer }});
    setTimeout(() => console.log(JSON.stringify(window.__latWs.map(([k]) => k))), 20);
    """
    proc = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["start", "finished", "start", "painted"]


def test_the_pages_verdict_for_text_names_the_slowest_first_and_warm_visits():
    from bench.pages import text_verdict

    rows = [["g", "Explore", 0.40, 0.46, 0.45, 0.46, 0], ["g", "Anomaly detection", 6.37, 6.38, 0.96, 0.98, 0]]
    assert text_verdict("g", rows).endswith("first visit MISSED (slowest 6.38 s, Anomaly detection), warm met "
                                            "(slowest 0.98 s, Anomaly detection)")
    quick = [r[:4] + [None, None, 0] for r in rows[:1]]
    assert text_verdict("g", quick).endswith("first visit met (slowest 0.46 s, Explore); warm not measured (--reps 0)")


def test_text_verdicts_judge_each_text_checkpoint_against_the_native_reruns():
    from bench.latency import text_verdicts

    def row(name, event, drawn, done):
        return [name, event, drawn, done, 0.0, 0.0, 0.0, 5, 0]

    table_rows = [row(n, e, d, ms) for n, scale in (("digits-2d", 1.0), ("grammar-16d", 1.5))
                  for e, d, ms in (("decoder slider release (Explore)", "-", 100 * scale),
                                   ("map click (Explore)", 8.0, 120 * scale),
                                   ("native st.slider release (Generate)", "-", 200 * scale))]
    [line] = text_verdicts(table_rows, {"digits-2d": "image", "grammar-16d": "text"})
    assert "map click drawn in the browser 8 ms (met), its rerun 180 ms (MISSED)" in line
    assert "decoder slider release rerun 150 ms (met)" in line
    assert "on its own Generate (grammar-16d) (300 ms): click rerun 0.60x, release rerun 0.50x" in line
    assert "on digits-2d's Generate (200 ms): click rerun 0.90x, release rerun 0.75x" in line


@pytest.mark.e2e
@needs_chromium
@pytest.mark.timeout(300)
def test_startup_quick():
    out = bench("startup", "--quick")
    found = rows(out, "python -m explorer")
    assert [r[1] for r in found] == ["cold", "reload (same server, new visit)"]
    assert number(found[0][4]) > 0


@pytest.mark.e2e
@needs_chromium
@pytest.mark.timeout(400)
def test_pages_quick_visits_every_page():
    out = bench("pages", "--quick", timeout=380)
    found = rows(out, "digits-2d")
    assert [r[1] for r in found][:3] == ["Explore", "Interpolate", "Generate"] and len(found) >= 8, out
    assert all(number(r[3]) > 0 and r[6] == "0" for r in found), out


def test_compression_quick():
    out = bench("compression", "--quick")
    assert "500 test images of `mnist`" in out
    assert len(rows(out, "baseline")) == len(rows(out, "table: one PNG")) == len(rows(out, "read back")) == 1
    assert number(rows(out, "table: one PNG")[0][1]) > 0


@pytest.mark.timeout(300)
@pytest.mark.skipif(not (REPO / "checkpoints" / "mnist-bin" / "model.safetensors").is_file(),
                    reason="needs the bundled mnist-bin checkpoint")
def test_codec_quick():
    out = bench("codec", "--quick")
    assert "exact: True" in out
    assert number(rows(out, "bits-back ANS")[0][2].replace(",", "")) > 0


@pytest.mark.e2e
@needs_chromium
@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx not installed (apt-get install nginx-light)")
@pytest.mark.timeout(660)
def test_replicas_quick():
    out = bench("replicas", "--quick", timeout=640)  # two replicas and a browser: minutes on a busy 2-core machine
    sessions = [r for r in rows(out, "") if r[0].isdigit() and len(r) == 9]
    assert len(sessions) >= 2 and len({r[1] for r in sessions}) == 2  # both replicas served a session
    assert all(r[2].endswith(": yes") and "(0 websocket)" not in r[2] for r in sessions)  # websocket on its replica
    assert all(int(r[6]) > 0 and r[7] != "none" and r[8] != "none" for r in sessions)  # drag and click answered
    assert "sticky (every session's websocket and media on its replica, from nginx's log and the browser): yes" in out
    assert "drag and map click work in every session: yes" in out
    assert out.count(": yes", out.index("in the picker:")) == 2  # on both replicas
    assert len(rows(out, "127.0.0.1:")) == 4  # memory and CPU per replica
