"""The notebook API on text: vc.train picks the sequence VAE, encode_text / decode_text take and give strings."""

import numpy as np

import vae_core as vc
from vae_core.text.model import TextModelConfig, TextVAE


def test_train_encode_decode_text(tmp_path, ckpt_root):
    lines = [f"{a} {b}" for a in ("red", "blue", "green") for b in ("cat", "dog", "bird", "cow")] * 3
    (tmp_path / "c.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = f"text:{tmp_path / 'c.txt'}"
    model, result = vc.train(vc.TrainConfig(data=data, epochs=1, batch_size=8, device="cpu"), latent_dim=3,
                             out="api")
    assert isinstance(model, TextVAE) and result.status == "finished" and model.config.latent_dim == 3
    loaded, info = vc.load("api")
    mu = vc.encode_text(loaded, ["red cat", "blue dog", "zzz"])  # unseen characters read as unk
    assert mu.shape == (3, 3) and np.isfinite(mu).all()
    out = vc.decode_text(loaded, mu)
    assert len(out) == 3 and all(isinstance(s, str) for s in out)
    assert vc.decode_text(loaded, mu) == out  # greedy: the same every time
    small = TextModelConfig(alphabet=info.model_config.alphabet, latent_dim=2, embed_dim=4, hidden=8)
    model2, _ = vc.train(vc.TrainConfig(data=data, epochs=1, batch_size=8, device="cpu"), model_config=small)
    assert model2.config == small
