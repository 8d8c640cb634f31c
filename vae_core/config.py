"""Configuration dataclasses for models and training; they round-trip through JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

ARCHS = ("mlp", "conv")
LIKELIHOODS = ("bernoulli", "gaussian", "beta-binomial")  # beta-binomial: 8-bit pixels, 256 levels
ACTIVATIONS = ("relu", "elu", "leaky_relu", "silu", "tanh")


class ConfigError(ValueError):
    """A configuration value is out of range or of the wrong kind."""


@dataclass
class ModelConfig:
    """Everything needed to rebuild a VAE; shapes derive from it."""

    input_shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W)
    latent_dim: int = 2
    arch: str = "conv"
    # mlp: hidden widths of the encoder; the decoder mirrors them.
    # (400,) with relu is exactly pytorch/examples' 784-400-z-400-784 VAE.
    hidden: tuple[int, ...] = (400,)
    # conv: channels of the downsampling stages (one stride-2 conv each), and the
    # width of the fully connected layer between the feature map and the latent.
    channels: tuple[int, ...] = (32, 64, 128, 128)
    fc_width: int = 512
    res_blocks: int = 1  # residual 3x3 blocks after each decoder upsampling stage
    activation: str | None = None  # None: relu for mlp (as pytorch/examples), elu for conv
    likelihood: str = "bernoulli"
    # gaussian only: None learns one log-std per pixel; a number fixes it.
    gaussian_std: float | None = None

    def __post_init__(self) -> None:
        self.input_shape = tuple(int(v) for v in self.input_shape)
        self.hidden = tuple(int(v) for v in self.hidden)
        self.channels = tuple(int(v) for v in self.channels)
        if self.activation is None:
            self.activation = "relu" if self.arch == "mlp" else "elu"
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first bad field."""
        c, h, w = self.input_shape
        if c not in (1, 3) or h < 1 or w < 1 or h > 256 or w > 256:
            raise ConfigError(f"input_shape must be (1 or 3, H<=256, W<=256), got {self.input_shape}")
        if not 1 <= self.latent_dim <= 512:
            raise ConfigError(f"latent_dim must be between 1 and 512, got {self.latent_dim}")
        if self.arch not in ARCHS:
            raise ConfigError(f"arch must be one of {ARCHS}, got {self.arch!r}")
        if self.likelihood not in LIKELIHOODS:
            raise ConfigError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if not self.hidden or any(v < 1 or v > 8192 for v in self.hidden):
            raise ConfigError(f"hidden sizes must be 1..8192, got {self.hidden}")
        if not self.channels or any(v < 1 or v > 1024 for v in self.channels):
            raise ConfigError(f"channels must be 1..1024, got {self.channels}")
        if not 1 <= self.fc_width <= 8192 or not 0 <= self.res_blocks <= 8:
            raise ConfigError("fc_width must be 1..8192 and res_blocks 0..8")
        if self.gaussian_std is not None and not self.gaussian_std > 0:
            raise ConfigError(f"gaussian_std must be positive, got {self.gaussian_std}")

    @property
    def n_pixels(self) -> int:
        c, h, w = self.input_shape
        return c * h * w


@dataclass
class TrainConfig:
    """How a model is trained; saved beside the weights so a run can resume."""

    data: str = "digits"
    epochs: int = 10
    batch_size: int = 128
    # Peak rate of the one-cycle schedule. 2e-3 rather than 1e-3: on MNIST the default conv reached a test
    # -ELBO of 94.3 (z=20) / 142.4 (z=2) in 10 epochs, against 95.6 / 143.2 (bench/README.md, quality).
    lr: float = 2e-3
    beta: float = 1.0
    warmup_epochs: float = 0.0  # KL weight rises linearly from 0 to beta over this many epochs
    # "onecycle" warms the learning rate up then anneals it, which reaches a lower
    # loss in a short budget than a constant rate; "constant" matches pytorch/examples.
    schedule: str = "onecycle"
    # Remedies for posterior collapse (text VAEs; free bits and cycles work for images too). kl_cycles > 0
    # replaces the linear warm-up by that many cycles over the run (Fu et al. 2019); free_bits is a floor in nats
    # on each latent dimension's batch-mean KL (Kingma et al. 2016); word_dropout blanks that share of the text
    # decoder's input characters (Bowman et al. 2016).
    kl_cycles: int = 0
    free_bits: float = 0.0
    word_dropout: float = 0.0
    seed: int = 0
    device: str = "auto"
    # "bf16" runs the forward pass and loss under torch.autocast with bfloat16 (weights, optimiser and evaluation
    # stay float32): for GPUs with bf16 units; bench/gpu.sh measures its speed and -ELBO against "fp32".
    precision: str = "fp32"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first bad field."""
        if not 1 <= self.epochs <= 10_000:
            raise ConfigError(f"epochs must be 1..10000, got {self.epochs}")
        if not 1 <= self.batch_size <= 65_536:
            raise ConfigError(f"batch_size must be 1..65536, got {self.batch_size}")
        if not 0 < self.lr <= 10:
            raise ConfigError(f"lr must be in (0, 10], got {self.lr}")
        if not 0 <= self.beta <= 1000:
            raise ConfigError(f"beta must be in [0, 1000], got {self.beta}")
        if not 0 <= self.warmup_epochs <= 10_000:
            raise ConfigError(f"warmup_epochs must be >= 0, got {self.warmup_epochs}")
        if not 0 <= self.kl_cycles <= 1000 or not 0 <= self.free_bits <= 100 or not 0 <= self.word_dropout < 1:
            raise ConfigError(f"kl_cycles must be 0..1000, free_bits 0..100 and word_dropout in [0, 1), got "
                              f"{self.kl_cycles}, {self.free_bits}, {self.word_dropout}")
        if self.schedule not in ("onecycle", "constant"):
            raise ConfigError(f"schedule must be 'onecycle' or 'constant', got {self.schedule!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"device must be auto, cpu or cuda, got {self.device!r}")
        if self.precision not in ("fp32", "bf16"):
            raise ConfigError(f"precision must be fp32 or bf16, got {self.precision!r}")


def to_dict(cfg: ModelConfig | TrainConfig) -> dict:
    """Plain JSON-ready dict (tuples become lists)."""
    return json.loads(json.dumps(asdict(cfg)))


def from_dict(cls: type, data: dict) -> ModelConfig | TrainConfig:
    """Rebuild a config, refusing unknown keys so typos and newer files are loud."""
    if not isinstance(data, dict):
        raise ConfigError(f"{cls.__name__} must be a JSON object, got {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} field(s): {', '.join(unknown)}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise ConfigError(f"bad {cls.__name__}: {exc}") from None


def default_model_config(input_shape: tuple[int, int, int], latent_dim: int = 2, **overrides) -> ModelConfig:
    """The default architecture for an image size: conv for images >= 8x8, else an MLP."""
    _, h, w = input_shape
    arch = overrides.pop("arch", "conv" if min(h, w) >= 8 else "mlp")
    return ModelConfig(input_shape=tuple(input_shape), latent_dim=latent_dim, arch=arch, **overrides)


__all__ = ["ModelConfig", "TrainConfig", "ConfigError", "to_dict", "from_dict", "default_model_config"]
