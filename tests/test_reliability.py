"""Damaged checkpoints and hostile names, everywhere they enter: library, CLI, app (AppTest), Train page.

What tests/test_checkpoint.py and tests/test_cli.py already cover is not repeated here: this file adds
the CLI and app side of each damage, names with odd characters, temp-folder debris of similar names,
integrity (sha256) and the guarantees that nothing is unpickled and no config allocates a huge model.
"""

import ast
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from streamlit.testing.v1 import AppTest

from vae_core import checkpoint as ckpt
from vae_core.cli import main
from vae_core.config import ModelConfig, TrainConfig
from vae_core.models import VAE

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "checkpoints" / "digits-2d"
APP = str(REPO / "explorer" / "app.py")
FILES = ("config.json", "history.json", "model.safetensors")


def _edit_config(path: Path, change) -> None:
    cfg = json.loads((path / "config.json").read_text())
    change(cfg)
    (path / "config.json").write_text(json.dumps(cfg))


def _reshape_one(path: Path) -> None:
    state = load_file(path / "model.safetensors")
    key = next(k for k, v in state.items() if v.ndim == 2)
    state[key] = torch.zeros(state[key].shape[1], state[key].shape[0] + 1)
    save_file(state, str(path / "model.safetensors"))


def _flip_a_bit(path: Path) -> None:
    data = bytearray((path / "model.safetensors").read_bytes())
    data[-50] ^= 0x01  # inside the last tensor: still parses, numbers differ
    (path / "model.safetensors").write_bytes(bytes(data))


# name -> (damage, the file the message must name)
DAMAGES = {
    "empty-weights": (lambda p: (p / "model.safetensors").write_bytes(b""), "model.safetensors"),
    "truncated-weights": (lambda p: (p / "model.safetensors").write_bytes(
        (p / "model.safetensors").read_bytes()[:300]), "model.safetensors"),
    "wrong-shape": (_reshape_one, "model.safetensors"),
    "bit-flip": (_flip_a_bit, "model.safetensors"),
    "pickled": (lambda p: torch.save({"w": torch.zeros(3)}, p / "model.safetensors"), "model.safetensors"),
    "bad-json": (lambda p: (p / "config.json").write_text('{"schema_version": 1, '), "config.json"),
    "no-config": (lambda p: (p / "config.json").unlink(), "config.json"),
    "unknown-arch": (lambda p: _edit_config(p, lambda c: c["model"].update(arch="transformer")), "config.json"),
    "newer-schema": (lambda p: _edit_config(p, lambda c: c.update(schema_version=2)), "config.json"),
    "odd-config": (lambda p: _edit_config(p, lambda c: c["model"].update(input_shape=["a", 8, 8])), "config.json"),
    "bad-history": (lambda p: (p / "history.json").write_text('[{"test_neg_elbo": "low"}]'), "history.json"),
}
CONFIG_DAMAGES = [n for n, (_, f) in DAMAGES.items() if f != "model.safetensors"]

needs_bundled = pytest.mark.skipif(not (BUNDLED / "model.safetensors").exists(), reason="no checkpoints/digits-2d")


@pytest.fixture(scope="module")
def damaged_root(tmp_path_factory):
    """digits-2d plus one damaged copy of it per DAMAGES entry."""
    root = tmp_path_factory.mktemp("damaged") / "checkpoints"
    for name in ["digits-2d", *DAMAGES]:
        (root / name).mkdir(parents=True)
        for f in FILES:
            shutil.copy(BUNDLED / f, root / name / f)
    for name, (damage, _) in DAMAGES.items():
        damage(root / name)
    return root


@pytest.fixture
def at_root(damaged_root, monkeypatch):
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(damaged_root))
    return damaged_root


# --- library -------------------------------------------------------------------------------------


@needs_bundled
@pytest.mark.parametrize("name", list(DAMAGES))
def test_each_damage_is_one_checkpoint_error_naming_the_file(at_root, name):
    with pytest.raises(ckpt.CheckpointError) as err:
        ckpt.load_checkpoint(name)
    text = str(err.value)
    assert DAMAGES[name][1] in text and str(at_root / name) in text and "\n" not in text


@needs_bundled
def test_damaged_folders_are_listed_so_the_picker_can_say_what_is_wrong(at_root):
    assert ckpt.list_checkpoints() == sorted(["digits-2d", *DAMAGES])


@pytest.mark.parametrize("bad", ["ok\n", "ok\r", "ok\x00", "../ok", "ok/..", "~", "a:b", "a*", "ok\u200b", "-x"])
def test_odd_names_are_refused(ckpt_root, bad):
    with pytest.raises(ckpt.CheckpointError):
        ckpt.validate_name(bad)
    with pytest.raises((ckpt.CheckpointError, ValueError)):
        ckpt.checkpoint_path(bad)
    assert list(ckpt_root.iterdir()) == []


def _small(root: Path, name: str, history=None) -> Path:
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=2, arch="mlp", hidden=(8,)))
    return ckpt.save_checkpoint(root / name, model, TrainConfig(data="digits"), history or [{"epoch": 1}])


def test_saving_one_name_never_touches_the_temp_folders_of_a_similar_name(ckpt_root):
    """Regression: saving 'run' globbed '.tmp-run-*' and deleted 'run-2's moved-aside (only) copy."""
    _small(ckpt_root, "run-2")
    aside = ckpt_root / ".tmp-run-2-old-abcd1234"
    aside.mkdir()
    os.replace(ckpt_root / "run-2", aside / "ckpt")  # run-2's save was killed mid-swap
    _small(ckpt_root, "run")
    assert ckpt.list_checkpoints() == ["run", "run-2"]
    assert ckpt.load_checkpoint("run-2")[1].name == "run-2"
    _small(ckpt_root, "run-2")  # its own next save recovers and cleans up
    assert sorted(p.name for p in ckpt_root.iterdir()) == ["run", "run-2"]


def test_a_name_containing_old_is_listed_under_its_own_name(ckpt_root):
    _small(ckpt_root, "my-old-model")
    aside = ckpt_root / ".tmp-my-old-model-old-abcd1234"
    aside.mkdir()
    os.replace(ckpt_root / "my-old-model", aside / "ckpt")
    assert ckpt.list_checkpoints() == ["my-old-model"]
    with pytest.raises(ckpt.CheckpointError, match="'my' not found"):
        ckpt.load_checkpoint("my")


def test_a_bit_flip_in_the_weights_is_caught_by_the_sha256(ckpt_root):
    path = _small(ckpt_root, "run")
    _flip_a_bit(path)
    with pytest.raises(ckpt.CheckpointError, match="model.safetensors: contents differ from the sha256"):
        ckpt.load_checkpoint("run")


def test_non_finite_weights_never_replace_a_good_checkpoint(ckpt_root):
    path = _small(ckpt_root, "run")
    before = (path / "model.safetensors").read_bytes()
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=2, arch="mlp", hidden=(8,)))
    with torch.no_grad():
        model.decoder[0].weight[0, 0] = float("nan")
    with pytest.raises(ckpt.CheckpointError, match="NaN or inf.*previous version is kept"):
        ckpt.save_checkpoint(path, model, TrainConfig(), [{"epoch": 1}, {"epoch": 2}])
    assert (path / "model.safetensors").read_bytes() == before
    assert sorted(p.name for p in ckpt_root.iterdir()) == ["run"]


@pytest.mark.parametrize("history", ["[" * 100_000 + "]" * 100_000, "[{\"a\": " + "9" * 5000 + "}]",
                                     "\"text\"", "[1, 2]", "[{\"loss\": [1]}]", "\xff\xfe"])
def test_hostile_history_json_is_a_clear_error(ckpt_root, history):
    path = _small(ckpt_root, "run")
    (path / "history.json").write_bytes(history.encode("utf-8", "surrogateescape") if history != "\xff\xfe"
                                        else b"\xff\xfe\x00")
    with pytest.raises(ckpt.CheckpointError, match="history.json"):
        ckpt.read_info("run")


def _vm_hwm_kb() -> int:
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def test_a_config_claiming_a_huge_model_allocates_nothing(ckpt_root):
    """A 3x256x256 MLP with 8192-wide layers would be ~13 GB of weights: refused from the shapes alone."""
    path = _small(ckpt_root, "run")
    _edit_config(path, lambda c: c["model"].update(input_shape=[3, 256, 256], hidden=[8192, 8192],
                                                   latent_dim=512, likelihood="gaussian"))
    before = _vm_hwm_kb()
    with pytest.raises(ckpt.CheckpointError, match="model.safetensors: tensors do not match config.json"):
        ckpt.load_checkpoint("run")
    assert _vm_hwm_kb() - before < 200_000  # < 200 MB more at peak


def test_loading_never_unpickles(ckpt_root, monkeypatch):
    path = _small(ckpt_root, "run")
    torch.save(VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=2, arch="mlp", hidden=(8,))), path / "model.pt")

    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    model, info = ckpt.load_checkpoint("run")  # the stray model.pt is ignored
    assert info.epochs_done == 1 and not model.training


def test_no_source_file_can_unpickle():
    """A static guard: vae_core and explorer never call torch.load / pickle.load or allow_pickle=True."""
    offenders = []
    for path in [*(REPO / "vae_core").rglob("*.py"), *(REPO / "explorer").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in ("torch.load", "pickle.load", "pickle.loads", "pickle.Unpickler", "joblib.load"):
                    offenders.append(f"{path.name}: {name}")
                for kw in node.keywords:
                    pickles = not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
                    if kw.arg == "allow_pickle" and pickles:
                        offenders.append(f"{path.name}: allow_pickle={ast.unparse(kw.value)}")
    assert offenders == []


def test_resume_after_a_save_killed_mid_swap(ckpt_root, capsys):
    """Regression: the CLI's --resume said 'no checkpoint' when the last epoch sat moved aside."""
    assert main(["train", "--data", "digits", "--arch", "mlp", "--hidden", "16", "--epochs", "1",
                 "--batch-size", "512", "--out", "c"]) == 0
    aside = ckpt_root / ".tmp-c-old-abcd1234"
    aside.mkdir()
    os.replace(ckpt_root / "c", aside / "ckpt")
    assert ckpt.list_checkpoints() == ["c"]
    assert main(["train", "--data", "digits", "--out", "c", "--epochs", "2", "--resume"]) == 0
    assert [row["epoch"] for row in ckpt.read_info("c").history] == [1, 2]
    assert sorted(p.name for p in ckpt_root.iterdir()) == ["c"]


# --- CLI -----------------------------------------------------------------------------------------


def _one_line_error(capsys, code: int) -> str:
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@needs_bundled
@pytest.mark.parametrize("name", list(DAMAGES))
def test_cli_damaged_checkpoint_exits_2_with_one_line_naming_the_file(at_root, name, capsys, tmp_path):
    commands = [["evaluate", name, "--json"], ["sample", name, "--out", str(tmp_path / "s.png")],
                ["project", name, "--method", "pca"]]
    if name in CONFIG_DAMAGES:
        commands.append(["info", name])
    for args in commands:
        err = _one_line_error(capsys, main(args))
        assert DAMAGES[name][1] in err, (args, err)
    assert not (tmp_path / "s.png").exists()


@pytest.mark.parametrize("ref", ["../x", "/etc/passwd", "a b", "x;rm -rf", "ok\n", "..", "/", "checkpoints/../../x"])
@pytest.mark.parametrize("command", ["info", "evaluate"])
def test_cli_refuses_odd_names_in_every_place(ckpt_root, capsys, command, ref):
    _one_line_error(capsys, main([command, ref]))
    assert list(ckpt_root.iterdir()) == []


# Paths are the user's on the command line, but a name must still be a name. Never a real system path here:
# these run as root on CI, and a broken guard would replace what is there.
@pytest.mark.parametrize("ref", ["a b", "x;rm -rf", "ok\n", "..", "/", "sub/.hidden"])
def test_train_refuses_odd_names(ckpt_root, tmp_path, monkeypatch, capsys, ref):
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    _one_line_error(capsys, main(["train", "--data", "digits", "--epochs", "1", "--out", ref]))
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize("make", [lambda p: p.write_text("my notes"),
                                  lambda p: (p.mkdir(), (p / "thesis.tex").write_text("chapter 1"))])
def test_train_never_replaces_what_is_not_a_checkpoint(tmp_path, capsys, make):
    target = tmp_path / "precious"
    make(target)
    before = {p: p.read_bytes() for p in [target, *target.rglob("*")] if p.is_file()}
    err = _one_line_error(capsys, main(["train", "--data", "digits", "--epochs", "1", "--out", str(target)]))
    assert "not a checkpoint" in err
    assert {p: p.read_bytes() for p in [target, *target.rglob("*")] if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["precious"]  # no temp folder left beside it


@needs_bundled
def test_cli_as_a_real_process_prints_no_traceback(damaged_root, tmp_path):
    env = {**os.environ, "LATENT_LAB_CHECKPOINTS": str(damaged_root), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "vae_core", "evaluate", "truncated-weights"], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "model.safetensors" in proc.stderr


# --- the app -------------------------------------------------------------------------------------


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in [*at.error, *at.sidebar.error]]


@needs_bundled
def test_app_shows_each_damage_as_an_error_and_keeps_working(at_root):
    """Each damaged checkpoint, opened by ?ckpt=NAME: an st.error naming the file and no exception; the
    same server process then opens digits-2d cleanly.

    Switching within one session is checked in the browser (tests/e2e/test_concurrency.py): with
    st.navigation, AppTest loses the sidebar picker from a session after a widget interaction.
    """
    for name, (_, filename) in DAMAGES.items():
        at = AppTest.from_file(APP, default_timeout=90)
        at.query_params["ckpt"] = name
        at.run()
        assert not at.exception, (name, at.exception)
        assert at.selectbox(key="checkpoint").value == name
        assert any(filename in e and name in e for e in _errors(at)), (name, _errors(at))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["ckpt"] = "digits-2d"
    at.run()
    assert not at.exception and not _errors(at), _errors(at)
    assert at.title[0].value.startswith("Explore") and at.selectbox(key="checkpoint").value == "digits-2d"


@needs_bundled
@pytest.mark.parametrize("bad", ["/etc/passwd", "digits-2d\n", "..%2F..%2Fetc"])
def test_app_refuses_odd_names_in_the_query_string(at_root, bad):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["ckpt"] = bad
    at.run()
    assert not at.exception
    assert any("invalid checkpoint name" in e for e in _errors(at)), _errors(at)
    assert at.selectbox(key="checkpoint").value in ckpt.list_checkpoints(at_root)  # the fallback, not `bad`


@needs_bundled
def test_train_page_refuses_odd_names_and_writes_nothing(at_root):
    before = sorted(p.name for p in at_root.iterdir())
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception
    for bad in ["../escape", "/tmp/abs", "a b", "x\ny", "..", "ü"]:  # max_chars=64 stops longer ones
        at.text_input(key="train_name").set_value(bad)
        next(b for b in at.button if b.label == "Start training").click().run()
        assert not at.exception
        assert any("invalid checkpoint name" in e for e in _errors(at)), (bad, _errors(at))
    assert sorted(p.name for p in at_root.iterdir()) == before
    assert not (at_root.parent / "escape").exists()
