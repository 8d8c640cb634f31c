import json
import os

import pytest
import torch
from safetensors.torch import save_file

from vae_core import checkpoint as ckpt
from vae_core.config import ModelConfig, TrainConfig
from vae_core.models import VAE


def _save(root, name="run", model=None, history=None, **kw):
    model = model or VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch="mlp", hidden=(16,)))
    return ckpt.save_checkpoint(root / name, model, TrainConfig(data="digits"), history or [{"epoch": 1}], **kw)


def test_round_trip_restores_every_tensor(ckpt_root):
    torch.manual_seed(0)
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch="conv", channels=(8,), fc_width=16,
                            likelihood="gaussian"))
    path = _save(ckpt_root, model=model, history=[{"epoch": 1, "test_neg_elbo": 30.5}])
    assert sorted(os.listdir(path)) == ["config.json", "history.json", "model.safetensors"]
    loaded, info = ckpt.load_checkpoint("run")
    assert info.model_config == model.config and info.history[0]["test_neg_elbo"] == 30.5
    for key, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], tensor), key
    assert not loaded.training
    assert info.weights_sha256 == ckpt.sha256_file(path / "model.safetensors")


def test_references_resolve_inside_the_root_only(ckpt_root):
    assert ckpt.checkpoint_path("abc") == ckpt_root / "abc"
    assert ckpt.checkpoint_path(f"{ckpt_root}/abc") == ckpt_root / "abc"
    assert ckpt.checkpoint_path(f"{ckpt_root}/abc/") == ckpt_root / "abc"


@pytest.mark.parametrize("bad", ["..", "../x", "/etc/passwd", "a/b", ".hidden", "", "x" * 65, "sp ace", "semi;colon",
                                 "uni\u00e9"])
def test_bad_names_are_refused_before_touching_the_disk(ckpt_root, bad):
    with pytest.raises(ckpt.CheckpointError):
        ckpt.checkpoint_path(bad)
    assert list(ckpt_root.iterdir()) == []


def test_overwrite_replaces_and_leaves_no_debris(ckpt_root):
    _save(ckpt_root, history=[{"epoch": 1}])
    (ckpt_root / "run" / "cache").mkdir()
    _save(ckpt_root, history=[{"epoch": 1}, {"epoch": 2}])
    assert [p.name for p in ckpt_root.iterdir()] == ["run"]
    assert ckpt.read_info("run").epochs_done == 2
    assert not (ckpt_root / "run" / "cache").exists()  # a new model invalidates the cache


def test_a_save_killed_mid_swap_still_loads_and_recovers(ckpt_root):
    _save(ckpt_root)
    # Simulate a kill between moving the old folder aside and renaming the new one in.
    aside = ckpt_root / ".tmp-run-old-x"
    aside.mkdir()
    os.replace(ckpt_root / "run", aside / "ckpt")
    (ckpt_root / ".tmp-run-half").mkdir()  # a half-written new folder
    assert ckpt.list_checkpoints() == ["run"]
    model, info = ckpt.load_checkpoint("run")
    assert info.name == "run"
    _save(ckpt_root, history=[{"epoch": 1}, {"epoch": 2}])
    assert sorted(p.name for p in ckpt_root.iterdir()) == ["run"]


def test_list_skips_non_checkpoints(ckpt_root):
    _save(ckpt_root, "b")
    _save(ckpt_root, "a")
    (ckpt_root / "empty").mkdir()
    (ckpt_root / "file.txt").write_text("x")
    assert ckpt.list_checkpoints() == ["a", "b"]


def test_missing_checkpoint_is_named(ckpt_root):
    with pytest.raises(ckpt.CheckpointError, match="'nope' not found"):
        ckpt.load_checkpoint("nope")


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: (p / "model.safetensors").write_bytes(b""), "model.safetensors"),
        (lambda p: (p / "model.safetensors").write_bytes((p / "model.safetensors").read_bytes()[:100]),
         "model.safetensors"),
        (lambda p: (p / "model.safetensors").unlink(), "model.safetensors: file is missing"),
        (lambda p: (p / "config.json").write_text("{not json"), "config.json: not valid JSON"),
        (lambda p: (p / "config.json").unlink(), "config.json: file is missing"),
        (lambda p: _edit_config(p, lambda c: c["model"].update(arch="transformer")), "arch"),
        (lambda p: _edit_config(p, lambda c: c.update(schema_version=99)), "schema_version 99"),
        (lambda p: _edit_config(p, lambda c: c["model"].update(latent_dim=4)), "shape"),
        (lambda p: save_file({"w": torch.zeros(2)}, str(p / "model.safetensors")), "do not match"),
        (lambda p: (p / "history.json").write_text('{"a": 1}'), "history.json"),
    ],
)
def test_damaged_files_raise_one_error_naming_the_file(ckpt_root, damage, message):
    path = _save(ckpt_root)
    damage(path)
    with pytest.raises(ckpt.CheckpointError, match=message):
        ckpt.load_checkpoint("run")


def _edit_config(path, change):
    cfg = json.loads((path / "config.json").read_text())
    change(cfg)
    (path / "config.json").write_text(json.dumps(cfg))


def test_a_pickle_file_is_never_loaded(ckpt_root):
    path = _save(ckpt_root)
    torch.save({"w": torch.zeros(1)}, path / "model.safetensors")  # a pickle under the expected name
    with pytest.raises(ckpt.CheckpointError, match="model.safetensors"):
        ckpt.load_checkpoint("run")


def test_unwritable_root_is_a_clear_error(ckpt_root):
    if os.geteuid() == 0:
        blocker = ckpt_root / "blocked"
        blocker.write_text("a file where a folder should be")
        with pytest.raises(ckpt.CheckpointError, match="could not write"):
            _save(blocker, "run")
    else:
        ckpt_root.chmod(0o500)
        try:
            with pytest.raises(ckpt.CheckpointError, match="could not write"):
                _save(ckpt_root)
        finally:
            ckpt_root.chmod(0o700)


def test_optimizer_state_round_trips(ckpt_root):
    state = {"0.exp_avg": torch.randn(3), "0.step": torch.tensor(5.0)}
    _save(ckpt_root, optimizer_state=state, resume={"epochs_done": 1})
    info = ckpt.read_info("run")
    loaded = ckpt.load_optimizer_state(info)
    assert info.resume == {"epochs_done": 1}
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def test_cache_dir_follows_the_weights(ckpt_root):
    _save(ckpt_root)
    first = ckpt.cache_dir(ckpt.read_info("run"))
    _save(ckpt_root, model=VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch="mlp", hidden=(16,))))
    assert ckpt.cache_dir(ckpt.read_info("run")) != first


def test_the_comparison_partner_is_the_nearest_sibling():
    from dataclasses import replace

    from vae_core.config import ModelConfig, TrainConfig

    def info(data, latent, shape=(1, 28, 28), arch="conv"):
        return ckpt.CheckpointInfo(name="", path=None, model_config=ModelConfig(input_shape=shape, latent_dim=latent,
                                   arch=arch), train_config=TrainConfig(data=data))

    infos = {"mnist-2d": info("mnist", 2), "beta-mnist-1": info("mnist", 8, arch="mlp"), "mnist-16d": info("mnist", 16),
             "digits-2d": info("digits", 2, shape=(1, 8, 8)), "other-28": info("npz:x.npz", 2)}
    assert ckpt.comparison_partner("mnist-2d", infos) == "mnist-16d"
    assert ckpt.comparison_partner("mnist-16d", infos) == "mnist-2d"
    assert ckpt.comparison_partner("other-28", infos) == "mnist-16d"  # other data: same shape and arch, new latent
    assert ckpt.comparison_partner("digits-2d", infos) is None
    infos["mnist-2d-again"] = replace(infos["mnist-2d"])
    assert ckpt.comparison_partner("mnist-2d", infos) == "mnist-16d"  # another latent size shows more


def test_a_save_never_replaces_a_file_or_a_folder_of_other_things(tmp_path, tiny_mlp):
    from vae_core.config import TrainConfig

    notes, folder = tmp_path / "notes", tmp_path / "work"
    notes.write_text("keep me")
    folder.mkdir()
    (folder / "thesis.tex").write_text("keep me too")
    for target in (notes, folder):
        with pytest.raises(ckpt.CheckpointError, match="not a checkpoint"):
            ckpt.save_checkpoint(target, tiny_mlp, TrainConfig(), [])
    assert notes.read_text() == "keep me" and (folder / "thesis.tex").read_text() == "keep me too"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes", "work"]
    (tmp_path / "empty").mkdir()
    ckpt.save_checkpoint(tmp_path / "empty", tiny_mlp, TrainConfig(), [])  # an empty folder or a checkpoint is fine
    ckpt.save_checkpoint(tmp_path / "empty", tiny_mlp, TrainConfig(), [])
