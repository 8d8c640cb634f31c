"""Numbers at the edges: extreme and non-finite z, latent sizes 1 and 64, tiny and blank datasets,
empty selections. Each gives sensible output or one clear error, never a crash or a NaN image.

Decided here (and in vae_core.latent.decode_batch's docstring): NaN or inf in z is a ValueError; any
finite z decodes, with |z| clamped to Z_LIMIT = 1e4 (far past +-5 sigma the image is saturated anyway,
and 3e38 would overflow the first layer to NaN).
"""

from pathlib import Path

import numpy as np
import pytest
import torch

from vae_core import checkpoint as ckpt
from vae_core.cli import main
from vae_core.config import ModelConfig, TrainConfig
from vae_core.data import DataError, load_dataset
from vae_core.latent import Z_LIMIT, decode_batch, encode_dataset
from vae_core.metrics import active_units, evaluate
from vae_core.models import VAE
from vae_core.projection import project_latents
from vae_core.train import Trainer

REPO = Path(__file__).resolve().parents[1]
BUNDLED = [n for n in ("digits-2d", "shapes-6d") if (REPO / "checkpoints" / n / "model.safetensors").exists()]


def _models():
    torch.manual_seed(0)
    mlp = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=3, arch="mlp", hidden=(32,))).eval()
    conv = VAE(ModelConfig(input_shape=(1, 16, 16), latent_dim=4, arch="conv", channels=(8, 16), fc_width=32)).eval()
    bundled = [ckpt.load_checkpoint(n, REPO / "checkpoints")[0] for n in BUNDLED]
    return [mlp, conv, *bundled]


@pytest.fixture(scope="module")
def models():
    return _models()


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


# --- decoding extreme z --------------------------------------------------------------------------


@pytest.mark.parametrize("value", [5.0, -5.0, 6.0, -8.0, 100.0, 1e6, -1e6, 1e30, 3.4e38, -3.4e38, 1e300])
def test_far_z_decodes_to_finite_pixels_in_range(models, value):
    for model in models:
        d = model.config.latent_dim
        z = np.zeros((3, d))
        z[0] = value  # every dimension
        z[1, 0] = value  # one dimension
        z[2, -1] = -value
        images = decode_batch(model, z)
        assert images.shape == (3, *model.config.input_shape) and images.dtype == np.float32
        assert np.isfinite(images).all() and images.min() >= 0 and images.max() <= 1


def test_z_beyond_the_limit_decodes_like_the_limit(models):
    model = models[0]
    far = decode_batch(model, np.full((1, 3), 1e30))
    assert np.array_equal(far, decode_batch(model, np.full((1, 3), Z_LIMIT)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_z_is_a_clear_error(models, bad):
    z = np.zeros((2, 3))
    z[1, 2] = bad
    with pytest.raises(ValueError, match="NaN or inf"):
        decode_batch(models[0], z)


def test_five_sigma_stays_a_plausible_image(models):
    """At +-5 sigma the bundled decoders still draw something, not a blank or a saturated block."""
    for model in models[2:]:
        for sign in (1, -1):
            image = decode_batch(model, np.full((1, model.config.latent_dim), 5.0 * sign))[0]
            assert 0.0 < image.mean() < 1.0


def test_empty_batches_have_the_right_shapes(models):
    model = models[0]
    assert decode_batch(model, np.zeros((0, 3))).shape == (0, 1, 8, 8)
    enc = encode_dataset(model, np.zeros((0, 1, 8, 8), np.float32))
    assert enc.mu.shape == (0, 3) and enc.logvar.shape == (0, 3)


# --- latent sizes 1 and 64 -----------------------------------------------------------------------


@pytest.mark.parametrize("latent, method", [(1, "identity"), (1, "pca"), (64, "pca"), (64, "identity")])
def test_latent_sizes_1_and_64_train_an_epoch_and_project(digits, ckpt_root, latent, method, capsys):
    cfg = ModelConfig(input_shape=(1, 8, 8), latent_dim=latent, arch="mlp", hidden=(32,))
    result = Trainer(cfg, TrainConfig(data="digits", epochs=1, batch_size=256), digits, out=ckpt_root / "z").fit()
    assert result.status == "finished" and np.isfinite(result.history[0]["test_neg_elbo"])
    model, info = ckpt.load_checkpoint("z")
    mu = encode_dataset(model, digits.x_test).mu
    assert mu.shape == (len(digits.x_test), latent) and np.isfinite(mu).all()
    points, proj = project_latents(mu, method)
    assert points.shape == (len(mu), 2) and np.isfinite(points).all()
    if latent == 1:
        assert (points[:, 1] == 0).all()  # a 1-D latent lies on the x axis
    z = proj.inverse_transform(points[:5])
    assert z.shape == (5, latent) and np.isfinite(decode_batch(model, z)).all()
    if method == "identity" and latent == 1:  # the CLI agrees: identity works for a 1-D latent
        assert main(["project", "z", "--method", "identity"]) == 0
        assert "projected 359" in capsys.readouterr().out


def test_the_cli_says_why_identity_does_not_fit_64_dims(ckpt_root, capsys):
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=64, arch="mlp", hidden=(16,)))
    ckpt.save_checkpoint(ckpt_root / "wide", model, TrainConfig(), [{"epoch": 1}])
    assert main(["project", "wide", "--method", "identity"]) == 2
    assert "1-D or 2-D latent" in capsys.readouterr().err
    assert main(["project", "wide", "--method", "pca"]) == 0


# --- tiny and blank datasets ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 4])
def test_too_few_images_is_one_clear_data_error(tmp_path, n):
    np.savez(tmp_path / "few.npz", x=np.zeros((n, 8, 8), np.uint8))
    with pytest.raises(DataError, match="few.npz") as err:
        load_dataset(f"npz:{tmp_path / 'few.npz'}")
    assert ("no images" if n == 0 else f"only {n} images; need at least 5") in str(err.value)


def test_five_images_train_evaluate_and_project(tmp_path, ckpt_root):
    np.savez(tmp_path / "five.npz", x=np.random.default_rng(0).integers(0, 256, (5, 8, 8), dtype=np.uint8))
    ds = load_dataset(f"npz:{tmp_path / 'five.npz'}")
    assert (len(ds.x_train), len(ds.x_test)) == (4, 1)
    cfg = ModelConfig(input_shape=(1, 8, 8), latent_dim=6, arch="mlp", hidden=(16,))
    result = Trainer(cfg, TrainConfig(data=ds.spec, epochs=2, batch_size=128), ds, out=ckpt_root / "five").fit()
    assert result.status == "finished" and all(np.isfinite(r["test_neg_elbo"]) for r in result.history)
    mu = encode_dataset(ckpt.load_checkpoint("five")[0], ds.x_test).mu
    for method in ("identity", "pca"):  # one test image: PCA maps it to the origin instead of failing
        points, _ = project_latents(mu, method)
        assert points.shape == (1, 2) and np.isfinite(points).all()
    with pytest.raises(ValueError, match="UMAP needs at least 4 points"):
        project_latents(mu, "umap")


@pytest.mark.parametrize("value", [0, 255])
def test_all_black_or_all_white_images_give_finite_numbers(tmp_path, models, ckpt_root, value):
    np.savez(tmp_path / "flat.npz", x=np.full((20, 8, 8), value, np.uint8))
    ds = load_dataset(f"npz:{tmp_path / 'flat.npz'}")
    for model in [m for m in models if m.config.input_shape == (1, 8, 8)]:
        enc = encode_dataset(model, ds.x_test)
        assert np.isfinite(enc.mu).all() and np.isfinite(enc.logvar).all()
        recon = model.reconstruct(torch.from_numpy(ds.x_test)).numpy()
        assert np.isfinite(recon).all() and 0 <= recon.min() and recon.max() <= 1
        row = evaluate(model, ds.x_test, iwae_k=5).to_dict()
        assert all(np.isfinite(v) for v in row.values()), row
        assert 0 <= active_units(enc.mu) <= model.config.latent_dim
    cfg = ModelConfig(input_shape=(1, 8, 8), latent_dim=2, arch="mlp", hidden=(16,))
    result = Trainer(cfg, TrainConfig(data=ds.spec, epochs=2, batch_size=8), ds, out=ckpt_root / "flat").fit()
    assert result.status == "finished" and all(np.isfinite(list(r.values())).all() for r in result.history)
    mu = encode_dataset(ckpt.load_checkpoint("flat")[0], ds.x_test).mu
    for method in ("identity", "pca"):  # identical points: no variance, still finite
        points, proj = project_latents(np.repeat(mu[:1], 4, axis=0), method)
        assert np.isfinite(points).all() and np.isfinite(getattr(proj, "explained_variance_ratio_", 0)).all()


