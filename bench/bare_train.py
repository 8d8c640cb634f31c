"""A bare PyTorch training script, the baseline of `python -m bench imports`: pytorch/examples/vae/main.py as a
notebook user writes it, so that a whole `python -m vae_core train` process can be timed against it.

    python bench/bare_train.py [--data mnist | --data npz:FILE] [--epochs 3] [--batch-size 128] --out FILE

The 784-400-20-400-784 MLP, Adam at 1e-3, BCE + KL summed; the test-set loss after each epoch; the weights
saved with torch.save at the end. Imports only torch and numpy: what such a script pays at start-up.
MNIST is read from the shipped data/mnist (.gz IDX files); an npz holds uint8 arrays x and x_test (N, 28, 28).
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MNIST = Path(__file__).resolve().parents[1] / "data" / "mnist"


class VAE(nn.Module):
    def __init__(self, z: int = 20):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, z), nn.Linear(400, z)
        self.fc3, self.fc4 = nn.Linear(z, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def loss_function(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x.view(-1, 784), reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def load(data: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, test) images [N x 784] in [0, 1]."""
    if data == "mnist":
        arrays = []
        for name in ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
            with gzip.open(MNIST / name) as f:
                arrays.append(np.frombuffer(f.read(), np.uint8, offset=16))
    else:
        with np.load(data.removeprefix("npz:")) as a:
            arrays = [a["x"], a["x_test"]]
    return tuple(torch.from_numpy(np.array(a).reshape(-1, 784)).float() / 255.0 for a in arrays)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="mnist")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    torch.manual_seed(0)
    x_train, x_test = load(args.data)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, args.epochs + 1):
        model.train()
        train_loss, order = 0.0, torch.randperm(len(x_train))
        for i in range(0, len(x_train), args.batch_size):
            xb = x_train[order[i:i + args.batch_size]]
            optimizer.zero_grad()
            recon, mu, logvar = model(xb)
            loss = loss_function(recon, xb, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        model.eval()
        test_loss = 0.0
        with torch.no_grad():
            for xb in x_test.split(1000):
                recon, mu, logvar = model(xb)
                test_loss += loss_function(recon, xb, mu, logvar).item()
        print(f"epoch {epoch}: train loss {train_loss / len(x_train):.2f}, test loss {test_loss / len(x_test):.2f}")
    torch.save(model.state_dict(), args.out)


if __name__ == "__main__":
    main()
