"""vae_core/text/batching.py: length buckets are a reproducible permutation, batches of similar length, and a
sentence's loss does not depend on the batch it lands in."""

import pytest
import torch

from vae_core.losses import kl_divergence
from vae_core.text.batching import bucket_order
from vae_core.text.losses import sequence_nll, trim
from vae_core.text.model import TextModelConfig, TextVAE
from vae_core.text.vocab import Vocab


def test_bucket_order_is_a_reproducible_permutation_with_the_partial_batch_last():
    lengths = torch.randint(1, 200, (1000,), generator=torch.Generator().manual_seed(0))
    order = torch.randperm(1000, generator=torch.Generator().manual_seed(1))
    a, b = bucket_order(lengths, order, 64, seed=5), bucket_order(lengths, order, 64, seed=5)
    assert torch.equal(a, b) and not torch.equal(a, bucket_order(lengths, order, 64, seed=6))
    assert torch.equal(a.sort().values, torch.arange(1000))
    # 1000 = 15 x 64 + 40 in one bucket (16 batches): sorted, its partial batch (the 40 longest) stays last
    assert lengths[a[960:]].min() >= lengths[a[:960]].max()


def test_buckets_pad_far_less_than_shuffled_batches():
    lengths = torch.randint(12, 250, (2048,), generator=torch.Generator().manual_seed(0))
    order = torch.randperm(2048, generator=torch.Generator().manual_seed(1))

    def padding(o):
        batches = lengths[o].view(-1, 64)
        return 1 - batches.sum().item() / (batches.max(1).values.sum().item() * 64)

    assert padding(order) > 0.4 and padding(bucket_order(lengths, order, 64, seed=0)) < 0.1


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be positive, got 0"):
        bucket_order(torch.ones(3), torch.arange(3), 0, seed=0)


def test_bucketed_and_plain_batches_give_the_same_per_sentence_losses():
    lines = ["a", "a much longer sentence than the rest", "mid length one", "ok", "another rather long line here",
             "x y", "short", "quite a long sentence, with a comma"]
    vocab = Vocab.build(lines)
    torch.manual_seed(0)
    model = TextVAE(TextModelConfig(alphabet=vocab.alphabet, latent_dim=4, embed_dim=8, hidden=16)).train()
    x = torch.as_tensor(vocab.encode_batch(lines, 60))  # padded well past the longest line

    def losses(order: torch.Tensor) -> torch.Tensor:
        """Each sentence's recon + KL at z = mu, computed as training does (gradients on, trimmed batches)."""
        out = torch.zeros(len(x))
        for b in range(0, len(x), 4):
            idx = order[b:b + 4]
            xb = trim(x[idx])
            mu, logvar = model.encode(xb)
            out[idx] = (sequence_nll(model.decode(mu, xb), xb) + kl_divergence(mu, logvar)).detach()
        return out

    plain = torch.arange(len(x))
    bucketed = bucket_order(torch.tensor([len(s) for s in lines]), plain, 4, seed=0)
    assert not torch.equal(bucketed, plain)
    assert torch.allclose(losses(plain), losses(bucketed), atol=1e-5)
