"""Encoders, decoders and the VAE module (Kingma & Welling 2014, arXiv:1312.6114).

Decoders are plain stacks of Linear / activation / Unflatten / ConvTranspose2d /
Conv2d / ResidualBlock so that `export.py` can hand them to the in-browser decoder.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .config import ModelConfig


@dataclass
class VAEOutput:
    """Named result of a forward pass. Shapes: logits [B x C x H x W], mu/logvar/z [B x D]."""

    logits: torch.Tensor
    mu: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor


def make_activation(name: str) -> nn.Module:
    return {
        "relu": nn.ReLU,
        "elu": nn.ELU,
        "leaky_relu": lambda: nn.LeakyReLU(0.2),
        "silu": nn.SiLU,
        "tanh": nn.Tanh,
    }[name]()


class ResidualBlock(nn.Module):
    """x + conv3x3(act(conv3x3(act(x)))): more decoder capacity at the same resolution."""

    def __init__(self, channels: int, activation: str):
        super().__init__()
        self.body = nn.Sequential(
            make_activation(activation),
            nn.Conv2d(channels, channels, 3, padding=1),
            make_activation(activation),
            nn.Conv2d(channels, channels, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def conv_stages(height: int, width: int, max_stages: int) -> int:
    """How many stride-2 halvings take an image to a small (<= 7) feature map."""
    n = 0
    while n < max_stages and height > 7 and width > 7 and height % 2 == 0 and width % 2 == 0:
        height, width, n = height // 2, width // 2, n + 1
    return max(n, 1) if height % 2 == 0 and width % 2 == 0 else n


def build_mlp(cfg: ModelConfig) -> tuple[nn.Sequential, nn.Sequential]:
    """pytorch/examples-style MLP; the decoder mirrors the encoder's widths."""
    widths = [cfg.n_pixels, *cfg.hidden]
    enc: list[nn.Module] = [nn.Flatten()]
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        enc += [nn.Linear(a, b), make_activation(cfg.activation)]
    enc.append(nn.Linear(widths[-1], 2 * cfg.latent_dim))

    back = [cfg.latent_dim, *reversed(cfg.hidden)]
    dec: list[nn.Module] = []
    for a, b in zip(back[:-1], back[1:], strict=True):
        dec += [nn.Linear(a, b), make_activation(cfg.activation)]
    dec += [nn.Linear(back[-1], cfg.n_pixels), nn.Unflatten(1, cfg.input_shape)]
    return nn.Sequential(*enc), nn.Sequential(*dec)


def build_conv(cfg: ModelConfig) -> tuple[nn.Sequential, nn.Sequential]:
    """Stride-2 conv encoder, transposed-conv decoder with residual blocks; any even size."""
    c, h, w = cfg.input_shape
    n = conv_stages(h, w, len(cfg.channels))
    if n == 0:
        raise ValueError(f"conv needs an even image size >= 8, got {h}x{w}; use arch 'mlp'")
    chans = list(cfg.channels[:n])
    fh, fw = h >> n, w >> n
    act = cfg.activation

    enc: list[nn.Module] = []
    prev = c
    for ch in chans:
        enc += [nn.Conv2d(prev, ch, 4, stride=2, padding=1), make_activation(act)]
        enc += [ResidualBlock(ch, act) for _ in range(cfg.res_blocks)]
        prev = ch
    enc += [nn.Flatten(), nn.Linear(prev * fh * fw, cfg.fc_width), make_activation(act),
            nn.Linear(cfg.fc_width, 2 * cfg.latent_dim)]

    dec: list[nn.Module] = [
        nn.Linear(cfg.latent_dim, cfg.fc_width), make_activation(act),
        nn.Linear(cfg.fc_width, chans[-1] * fh * fw), make_activation(act),
        nn.Unflatten(1, (chans[-1], fh, fw)),
    ]
    # Residual blocks sit below full resolution, where they are cheap; the last
    # upsampling stage maps to a narrow width, which keeps the decoder fast enough
    # to run per frame in the browser.
    for i in reversed(range(n)):
        out = chans[i - 1] if i > 0 else max(chans[0] // 2, 8)
        dec += [nn.ConvTranspose2d(chans[i], out, 4, stride=2, padding=1), make_activation(act)]
        if i > 0:
            dec += [ResidualBlock(out, act) for _ in range(cfg.res_blocks)]
    dec.append(nn.Conv2d(max(chans[0] // 2, 8), c, 3, padding=1))
    return nn.Sequential(*enc), nn.Sequential(*dec)


class VAE(nn.Module):
    """Gaussian-latent VAE with a Bernoulli, Gaussian or beta-binomial (8-bit) pixel likelihood."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        build = build_mlp if config.arch == "mlp" else build_conv
        self.encoder, self.decoder = build(config)
        if config.likelihood == "gaussian":
            if config.gaussian_std is None:
                self.log_std = nn.Parameter(torch.zeros(config.input_shape))
            else:
                self.register_buffer("log_std", torch.full(config.input_shape, math.log(config.gaussian_std)))
        if config.likelihood == "beta-binomial":
            # One learned concentration per pixel; the decoder gives the mean. Below 1 the distribution is
            # U-shaped: most MNIST pixels are 0 or 255 and few lie between.
            self.log_conc = nn.Parameter(torch.zeros(config.input_shape))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B x C x H x W] in [0, 1] -> (mu, logvar), each [B x D]."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I): sampling stays differentiable in mu and sigma."""
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z [B x D] -> logits [B x C x H x W]; the pixel mean is sigmoid(logits)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> VAEOutput:
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return VAEOutput(self.decode(z), mu, logvar, z)

    @torch.no_grad()
    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """z [B x D] -> images [B x C x H x W] in [0, 1]."""
        return torch.sigmoid(self.decode(z))

    @torch.no_grad()
    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Posterior means mu [B x D]."""
        return self.encode(x)[0]

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode the posterior mean: x [B x C x H x W] -> images in [0, 1]."""
        return self.decode_mean(self.embed(x))

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode n draws from the prior N(0, temperature^2 I) -> images [n x C x H x W]."""
        device = next(self.parameters()).device
        noise_device = generator.device if generator is not None else device  # a CPU generator works on CUDA too
        z = torch.randn(n, self.config.latent_dim, generator=generator, device=noise_device)
        return self.decode_mean(z.to(device) * temperature)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
