# Two entry points for a fresh machine (Python 3.11 + apt): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: setup chromium run test lint checkpoints

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

# Browser tests use Debian's chromium; Playwright's own browser download cannot work here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

run: setup
	$(PY) -m explorer --port $(PORT)

lint: setup
	$(PY) -m ruff check .

test: setup chromium lint
	$(PY) -m pytest

# Re-create the bundled checkpoints (see README); they ship without optimizer.safetensors.
checkpoints: setup
	OMP_NUM_THREADS=1 $(PY) -m vae_core train --data mnist --latent-dim 2 --arch mlp --hidden 512,256 --epochs 10 --seed 0 --out checkpoints/mnist-2d
	OMP_NUM_THREADS=1 $(PY) -m vae_core train --data mnist --latent-dim 16 --arch mlp --hidden 512,256 --epochs 10 --seed 0 --out checkpoints/mnist-16d
	OMP_NUM_THREADS=1 $(PY) -m vae_core train --data mnist-bin --latent-dim 32 --arch mlp --hidden 512,256 --epochs 15 --seed 0 --device cpu --out checkpoints/mnist-bin
	$(PY) -m vae_core sweep --data mnist
	$(PY) -m vae_core train --data digits --latent-dim 2 --channels 32 --fc-width 256 --batch-size 32 --epochs 150 --lr 2e-3 --seed 0 --out checkpoints/digits-2d
	$(PY) -m vae_core train --data shapes --latent-dim 6 --channels 16,32,64 --fc-width 256 --epochs 20 --lr 1e-3 --seed 0 --out checkpoints/shapes-6d
	OMP_NUM_THREADS=1 $(PY) -m vae_core train --data grammar --latent-dim 16 --embed-dim 32 --hidden 128 --batch-size 32 --epochs 10 --seed 0 --pooled-encoder --free-bits 2 --word-dropout 0.1 --out checkpoints/grammar-16d
	# the same without the collapse remedies: the collapsed twin of the posterior-collapse lesson (?lesson=text)
	OMP_NUM_THREADS=1 $(PY) -m vae_core train --data grammar --latent-dim 16 --embed-dim 32 --hidden 128 --batch-size 32 --epochs 10 --seed 0 --pooled-encoder --free-bits 0 --word-dropout 0 --warmup-epochs 0 --out checkpoints/grammar-16d-plain
	OMP_NUM_THREADS=1 $(PY) -m vae_core train --data pydoc --epochs 10 --seed 0 --out checkpoints/pydoc-32d
	rm -f checkpoints/*/optimizer.safetensors
