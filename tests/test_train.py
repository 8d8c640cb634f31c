import math

import pytest
import torch

from vae_core import checkpoint as ckpt
from vae_core.config import ModelConfig, TrainConfig
from vae_core.data import load_dataset
from vae_core.train import Trainer, TrainingCallback, resolve_device

MODEL = ModelConfig(input_shape=(1, 8, 8), latent_dim=2, arch="mlp", hidden=(64,))


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _trainer(digits, out=None, callbacks=(), resume=False, **train):
    cfg = TrainConfig(data="digits", epochs=train.pop("epochs", 2), batch_size=train.pop("batch_size", 64), **train)
    return Trainer(MODEL, cfg, digits, out=out, callbacks=callbacks, resume=resume)


class Recorder(TrainingCallback):
    def __init__(self):
        self.batches, self.epochs, self.ended = [], [], None

    def on_batch_end(self, event):
        self.batches.append((event.epoch, event.batch, event.n_batches))

    def on_epoch_end(self, event):
        self.epochs.append(event)

    def on_train_end(self, result):
        self.ended = result


def test_events_history_and_falling_loss(digits, ckpt_root):
    rec = Recorder()
    result = _trainer(digits, out=ckpt_root / "run", callbacks=[rec], epochs=3).fit()
    n_batches = math.ceil(len(digits.x_train) / 64)
    assert result.status == "finished" and rec.ended is result
    assert len(rec.batches) == 3 * n_batches and rec.batches[-1] == (2, n_batches - 1, n_batches)
    assert [e.epoch for e in rec.epochs] == [1, 2, 3]
    rows = result.history
    assert {"train_loss", "test_neg_elbo", "test_recon", "test_kl", "active_units", "images_per_s"} <= set(rows[0])
    assert rows[-1]["test_neg_elbo"] < rows[0]["test_neg_elbo"]
    assert all(r["test_neg_elbo"] == pytest.approx(r["test_recon"] + r["test_kl"]) for r in rows)
    assert ckpt.read_info("run").epochs_done == 3


def test_seeded_runs_are_reproducible_on_cpu(digits):
    a, b = _trainer(digits, seed=7), _trainer(digits, seed=7)
    a.fit(), b.fit()
    for key, tensor in a.model.state_dict().items():
        assert torch.equal(tensor, b.model.state_dict()[key]), key
    c = _trainer(digits, seed=8)
    c.fit()
    assert not torch.equal(a.model.encoder[1].weight, c.model.encoder[1].weight)


def test_resume_continues_exactly_where_it_stopped(digits, ckpt_root):
    class StopAfterFirstEpoch(TrainingCallback):
        def __init__(self, box):
            self.box = box

        def on_epoch_end(self, event):
            self.box[0].request_stop()

    straight = _trainer(digits, epochs=3)
    straight.fit()
    box = []
    box.append(_trainer(digits, out=ckpt_root / "r", epochs=3, callbacks=[StopAfterFirstEpoch(box)]))
    assert box[0].fit().status == "stopped"
    resumed = _trainer(digits, out=ckpt_root / "r", epochs=3, resume=True)
    assert len(resumed.history) == 1
    result = resumed.fit()
    assert [row["epoch"] for row in result.history] == [1, 2, 3]
    for key, tensor in straight.model.state_dict().items():
        assert torch.allclose(tensor, resumed.model.state_dict()[key], atol=1e-6), key


def test_stop_request_mid_epoch_keeps_last_saved_epoch(digits, ckpt_root):
    class StopInSecondEpoch(TrainingCallback):
        def __init__(self, trainer_box):
            self.box = trainer_box

        def on_batch_end(self, event):
            if event.epoch == 1 and event.batch == 3:
                self.box[0].request_stop()

    box = []
    trainer = _trainer(digits, out=ckpt_root / "s", callbacks=[StopInSecondEpoch(box)], epochs=5)
    box.append(trainer)
    result = trainer.fit()
    assert result.status == "stopped" and "epoch 2" in result.message
    assert ckpt.read_info("s").epochs_done == 1


def test_nan_loss_stops_without_overwriting_the_good_checkpoint(digits, ckpt_root):
    class Poison(TrainingCallback):
        def __init__(self, box):
            self.box = box

        def on_batch_end(self, event):
            if event.epoch == 1 and event.batch == 2:
                with torch.no_grad():
                    self.box[0].model.decoder[0].weight.fill_(float("nan"))

    box = []
    trainer = _trainer(digits, out=ckpt_root / "n", callbacks=[Poison(box)], epochs=3)
    box.append(trainer)
    good = None
    result = trainer.fit()
    assert result.status == "diverged" and "NaN" in result.message
    model, info = ckpt.load_checkpoint("n")
    assert info.epochs_done == 1
    good = all(torch.isfinite(t).all() for t in model.state_dict().values())
    assert good


def test_shape_mismatch_and_missing_cuda_are_clear(digits):
    with pytest.raises(ValueError, match="does not match"):
        Trainer(ModelConfig(input_shape=(1, 28, 28), arch="mlp"), TrainConfig(), digits)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            resolve_device("cuda")
    assert resolve_device("auto").type in ("cpu", "cuda")


def _set_grads(trainer, value: float) -> None:
    for p in trainer.model.parameters():
        p.grad = torch.full_like(p, value)


def test_an_outlier_batch_is_clipped_and_an_ordinary_one_left_exactly_as_it_was(digits):
    from vae_core.train import SPIKE_FACTOR

    trainer = _trainer(digits)
    n = sum(p.numel() for p in trainer.model.parameters())
    _set_grads(trainer, 1.0)  # the first batch sets the scale: norm sqrt(n)
    assert float(trainer._clip_spike()) == 0.0
    assert all(torch.equal(p.grad, torch.ones_like(p)) for p in trainer.model.parameters())
    _set_grads(trainer, 3.0)  # 3x the mean: ordinary, untouched
    assert float(trainer._clip_spike()) == 0.0
    assert all(torch.equal(p.grad, torch.full_like(p, 3.0)) for p in trainer.model.parameters())
    mean = float(trainer.grad_norm_mean)
    assert mean == pytest.approx(0.98 * math.sqrt(n) + 0.02 * 3 * math.sqrt(n), rel=1e-5)
    _set_grads(trainer, 1000.0)  # an outlier: scaled down to SPIKE_FACTOR x the running mean, direction kept
    assert float(trainer._clip_spike()) == 1.0
    norm = float(torch.nn.utils.get_total_norm([p.grad for p in trainer.model.parameters()]))
    assert norm == pytest.approx(SPIKE_FACTOR * mean, rel=1e-4)
    assert all(torch.allclose(p.grad, p.grad.flatten()[0].expand_as(p)) for p in trainer.model.parameters())


def test_the_spike_guard_resumes_with_its_running_mean(digits, ckpt_root):
    first = _trainer(digits, out=ckpt_root / "g", epochs=2)
    first.fit()
    info = ckpt.read_info("g")
    assert info.resume["grad_norm_mean"] == pytest.approx(float(first.grad_norm_mean))
    assert all(row["clipped_batches"] >= 0 for row in info.history)
    resumed = _trainer(digits, out=ckpt_root / "g", epochs=3, resume=True)
    assert float(resumed.grad_norm_mean) == pytest.approx(float(first.grad_norm_mean))


def test_bf16_autocast_trains_and_evaluates_in_float32(digits):
    fp32 = _trainer(digits, epochs=2).fit().history[-1]
    bf16 = _trainer(digits, epochs=2, precision="bf16")
    last = bf16.fit().history[-1]
    assert all(p.dtype == torch.float32 for p in bf16.model.parameters())  # autocast casts per op, not the weights
    assert math.isfinite(last["test_neg_elbo"])
    assert abs(last["test_neg_elbo"] - fp32["test_neg_elbo"]) < 1.0  # bf16 keeps ~3 digits: the runs drift apart
    with pytest.raises(ValueError, match="precision must be fp32 or bf16"):
        TrainConfig(precision="fp16")
