"""The sequence VAE: a bidirectional GRU encoder, a Gaussian z, an autoregressive GRU decoder that sees z in its
initial state and at every step (Bowman et al. 2016, "Generating Sentences from a Continuous Space").

`conditioned=False` gives a plain GRU language model: the same decoder without z, the baseline that bench/
compares the VAE with at the same decoder size.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..config import ConfigError
from .gru import gru_scan
from .vocab import BOS, EOS, PAD, UNK, Vocab


@dataclass
class TextModelConfig:
    """Everything needed to rebuild a text model, its vocabulary included (saved in config.json)."""

    alphabet: str  # the training split's characters (vocab.Vocab); ids 0-3 are the special tokens
    latent_dim: int = 32
    embed_dim: int = 64
    # GRU state size, encoder (per direction) and decoder. 128, not 256: a GRU step costs ~H^2, and on 2 shared
    # cores the backward pass of one pydoc batch at 128 already took ~4 s (a 256 epoch on grammar, > 7 CPU minutes)
    hidden: int = 128
    conditioned: bool = True  # False: a plain GRU language model, the baseline without z
    arch: str = "gru"
    # mu and logvar read each encoder direction's final state plus the mean of its outputs over the real
    # characters, so a word in the middle of a sentence has a short path to z. From the final states alone the
    # grammar corpus' relation (its middle word) never reached mu: 18.3% exact reconstruction, 99.95% pooled
    # (bench/README.md, issue 13). False for checkpoints written before it existed.
    pooled_encoder: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError naming the first bad field."""
        if not isinstance(self.alphabet, str):
            raise ConfigError("alphabet must be a string of characters")
        try:
            Vocab(self.alphabet)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        if self.arch != "gru":
            raise ConfigError(f"text models have arch 'gru', got {self.arch!r}")
        if not 1 <= self.latent_dim <= 512:
            raise ConfigError(f"latent_dim must be between 1 and 512, got {self.latent_dim}")
        if not 1 <= self.embed_dim <= 1024 or not 1 <= self.hidden <= 2048:
            raise ConfigError(f"embed_dim must be 1..1024 and hidden 1..2048, got {self.embed_dim}, {self.hidden}")

    @property
    def vocab(self) -> Vocab:
        """The vocabulary this model reads and writes."""
        return Vocab(self.alphabet)


@dataclass
class TextVAEOutput:
    logits: torch.Tensor  # [B x T x V], position t predicts token t
    mu: torch.Tensor
    logvar: torch.Tensor
    z: torch.Tensor


class TextVAE(nn.Module):
    """encode(x) -> (mu, logvar); decode(z, x) -> teacher-forced logits; generate(z) -> token ids."""

    def __init__(self, config: TextModelConfig):
        super().__init__()
        self.config = config
        v, e, h, d = config.vocab.size, config.embed_dim, config.hidden, config.latent_dim
        self.embed = nn.Embedding(v, e, padding_idx=PAD)
        self.encoder = nn.GRU(e, h, batch_first=True, bidirectional=True)
        self.to_mu = nn.Linear(2 * h, d)
        self.to_logvar = nn.Linear(2 * h, d)
        self.z_to_h = nn.Linear(d, h)
        self.decoder = nn.GRU(e + (d if config.conditioned else 0), h, batch_first=True)
        self.out = nn.Linear(h, v)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """mu, logvar [B x D] of padded token ids [B x T]; masking makes the padding invisible to the GRU (each
        direction carries its state over padded steps, as packing would)."""
        pooled = self.config.pooled_encoder
        real = x != PAD
        real[:, 0] = True  # an empty row reads one padded step, as packing with its length clamped to 1 did
        n = real.sum(1, keepdim=True).to(torch.float32)
        if not torch.is_grad_enabled():  # no backward pass to pay for: nn.GRU's own loop is quicker (text.gru)
            packed = pack_padded_sequence(self.embed(x), n[:, 0].long().cpu(), batch_first=True, enforce_sorted=False)
            out, h = self.encoder(packed)
            h = torch.cat([h[0], h[1]], dim=1)
            if pooled:  # padded steps come back as zeros, so a plain sum over time is the sum over real steps
                h = h + pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0].sum(1) / n
            return self.to_mu(h), self.to_logvar(h)
        emb = self.embed(x)
        h0 = emb.new_zeros(len(x), self.config.hidden)
        out_f, forwards = gru_scan(self.encoder, emb, h0, real, outputs=pooled)
        out_b, backwards = gru_scan(self.encoder, emb, h0, real, reverse=True, outputs=pooled)
        h = torch.cat([forwards, backwards], dim=1)  # the last state of each direction
        if pooled:
            keep = real.unsqueeze(2).to(emb.dtype)
            h = h + torch.cat([(out_f * keep).sum(1), (out_b * keep).sum(1)], dim=1) / n
        return self.to_mu(h), self.to_logvar(h)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """z = mu + sigma * eps, eps from the global RNG."""
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def _initial(self, z: torch.Tensor | None, batch: int) -> torch.Tensor:
        if z is None or not self.config.conditioned:
            return torch.zeros(1, batch, self.config.hidden, device=self.out.weight.device)
        return torch.tanh(self.z_to_h(z)).unsqueeze(0)

    def decode(self, z: torch.Tensor | None, x: torch.Tensor, word_dropout: float = 0.0) -> torch.Tensor:
        """Teacher-forced logits [B x T x V] for targets x [B x T]: the decoder reads BOS, x[:, :-1].

        word_dropout replaces that share of the input characters (BOS kept) by UNK, so the decoder must lean on
        z (Bowman et al.); training only. A padded position's output never feeds an earlier one (the GRU runs
        forwards), so padding cannot change the logits of real tokens.
        """
        inp = torch.cat([torch.full_like(x[:, :1], BOS), x[:, :-1]], dim=1)
        if word_dropout > 0:
            drop = (torch.rand(inp.shape, device=inp.device) < word_dropout) & (inp != PAD)
            drop[:, 0] = False
            inp = inp.masked_fill(drop, UNK)
        emb = self.embed(inp)
        if self.config.conditioned:
            emb = torch.cat([emb, z.unsqueeze(1).expand(-1, emb.shape[1], -1)], dim=2)
        if torch.is_grad_enabled():
            out, _ = gru_scan(self.decoder, emb, self._initial(z, len(x))[0])
        else:
            out, _ = self.decoder(emb, self._initial(z, len(x)))
        return self.out(out)

    def forward(self, x: torch.Tensor, word_dropout: float = 0.0) -> TextVAEOutput:
        """One reparameterised z per sequence (zeros for an unconditioned model) and the logits it gives."""
        if not self.config.conditioned:  # the language model has no posterior: KL 0, mu = 0
            zero = torch.zeros(len(x), self.config.latent_dim, device=x.device)
            return TextVAEOutput(self.decode(None, x, word_dropout), zero, zero, zero)
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return TextVAEOutput(self.decode(z, x, word_dropout), mu, logvar, z)

    @torch.no_grad()
    def generate(self, z: torch.Tensor, max_len: int = 256, temperature: float = 1.0, greedy: bool = False,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """Token ids [B x L] decoded from z [B x D], one character at a time until EOS (kept) or max_len.

        greedy takes the most likely character; otherwise characters are drawn from softmax(logits / temperature).
        Rows that ended are padded with PAD.
        """
        batch = len(z)
        h = self._initial(z, batch)
        token = torch.full((batch, 1), BOS, dtype=torch.long, device=z.device)
        done = torch.zeros(batch, dtype=torch.bool, device=z.device)
        out = []
        for _ in range(max_len):
            emb = self.embed(token)
            if self.config.conditioned:
                emb = torch.cat([emb, z.unsqueeze(1)], dim=2)
            step, h = self.decoder(emb, h)
            logits = self.out(step[:, 0])
            if greedy:
                token = logits.argmax(1, keepdim=True)
            else:
                probs = torch.softmax(logits.float() / temperature, dim=1)
                token = torch.multinomial(probs.cpu(), 1, generator=generator).to(z.device)
            token = token.masked_fill(done.unsqueeze(1), PAD)
            out.append(token)
            done |= token[:, 0] == EOS
            if done.all():
                break
        return torch.cat(out, dim=1) if out else torch.zeros(batch, 0, dtype=torch.long, device=z.device)

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0, greedy: bool = False, max_len: int = 256,
               generator: torch.Generator | None = None) -> list[str]:
        """n sentences decoded from z ~ N(0, I) (drawn from `generator` on the CPU)."""
        z = torch.randn(n, self.config.latent_dim, generator=generator).to(self.out.weight.device)
        ids = self.generate(z, max_len, temperature, greedy, generator)
        vocab = self.config.vocab
        return [vocab.decode(row.tolist()) for row in ids.cpu()]
