"""Fuzzing the parsers: random and mutated bytes into every loader of untrusted files.

Each loader may succeed or raise its one error type (DataError, UploadError, CheckpointError); any other
exception is a bug, and so is a big allocation from a small file (a header that claims 2**32 entries is
refused before numpy allocates them: checked with tracemalloc, and the process's peak RSS).

Seeded (derandomize) and fast by default; a long run for the record:

    LATENT_LAB_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/test_fuzz.py -q
"""

import gzip
import hashlib
import io
import json
import os
import re
import struct
import tracemalloc
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from vae_core import checkpoint as ckpt
from vae_core.config import ModelConfig, TrainConfig
from vae_core.data import DataError, Dataset, load_dataset
from vae_core.idx import read_idx, write_idx
from vae_core.models import VAE
from vae_core.uploads import UploadError, load_uploaded_image, load_uploaded_npz

EXAMPLES = int(os.environ.get("LATENT_LAB_FUZZ_EXAMPLES", "200"))
FUZZ = settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
PEAK_MB = 32  # traced Python/numpy allocation allowed per call; inputs here are a few kB
RSS_MB = 300  # growth of the process's peak RSS over a whole test (torch and Pillow allocate untraced)
INTERESTING = [0, 1, 2, 3, 7, 8, 255, 256, 0x7FFF, 0xFFFF, 0x10000, 2**24, 2**31 - 1, 2**31, 2**32 - 1]

pytestmark = [pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
              pytest.mark.timeout(0 if EXAMPLES > 1000 else 600)]  # a soak runs as long as it needs


# --- strategies ----------------------------------------------------------------------------------


@st.composite
def mutated(draw, seed: bytes, max_ops: int = 4) -> bytes:
    """`seed` with a few byte-level edits, biased towards the header (its first 64 bytes)."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["flip", "set", "int32", "truncate", "insert", "delete"]))
        last = max(len(data) - 1, 0)
        pos = draw(st.one_of(st.integers(0, min(last, 63)), st.integers(0, last)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "int32":
            value = draw(st.sampled_from(INTERESTING))
            data[pos:pos + 4] = value.to_bytes(4, draw(st.sampled_from(["big", "little"])))
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
    return bytes(data)


def fuzzed(seeds: list[bytes]):
    """Random bytes, or a mutation of one of the valid seeds."""
    return st.one_of(st.binary(max_size=512), st.sampled_from(seeds).flatmap(mutated))


def _idx_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    buf.write(bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape))
    buf.write(np.ascontiguousarray(array, np.uint8).tobytes())
    return buf.getvalue()


IDX_SEEDS = [_idx_bytes(np.arange(60, dtype=np.uint8).reshape(3, 4, 5)), _idx_bytes(np.arange(7, dtype=np.uint8))]
idx_headers = st.builds(
    lambda ndim, magic_ok, dims, payload: (bytes([0, 0, 8 if magic_ok else 9, ndim])
                                           + b"".join(struct.pack(">I", d) for d in dims) + payload),
    st.sampled_from([1, 3]), st.booleans(),
    st.lists(st.one_of(st.sampled_from(INTERESTING), st.integers(0, 2**32 - 1)), min_size=1, max_size=3),
    st.binary(max_size=256))


def _npz(compressed: bool = False, **arrays) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


_X = np.random.default_rng(0).integers(0, 256, (6, 4, 4), dtype=np.uint8)
NPZ_SEEDS = [_npz(x=_X), _npz(True, x=_X, y=np.arange(6) % 2),
             _npz(x=_X.astype(np.float32) / 255, y=np.arange(6), x_test=_X[:2], y_test=np.arange(2))]
DESCRS = ["'|u1'", "'<f4'", "'>f8'", "'|b1'", "'<i8'", "'|O'", "'<U3'", "'|V8'", "'<c8'", "'<f2'", "'<M8[s]'",
          "[('a', '<i4')]", "'nonsense'", "3"]  # .npy header source text


@st.composite
def crafted_npz(draw) -> bytes:
    """A zip whose members carry .npy headers with any dtype and shape over a payload of any length."""
    buf = io.BytesIO()
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name in draw(st.lists(st.sampled_from(["x", "y", "x_test", "y_test", "z"]), min_size=1, max_size=3,
                                             unique=True)):
            shape = tuple(draw(st.lists(st.one_of(st.sampled_from(INTERESTING + [2**40, 2**62]),
                                                  st.integers(0, 64)), max_size=4)))
            header = (f"{{'descr': {draw(st.sampled_from(DESCRS))}, 'fortran_order': {draw(st.booleans())}, "
                      f"'shape': {shape}, }}")
            header += " " * (-(len(header) + 11) % 64) + "\n"
            npy = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
            zf.writestr(f"{name}.npy", npy + draw(st.binary(max_size=300)))
    return buf.getvalue()


def _image(fmt: str, mode: str = "L", size=(8, 6)) -> bytes:
    im = Image.fromarray(np.random.default_rng(1).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    buf = io.BytesIO()
    im.convert(mode).save(buf, format=fmt)
    return buf.getvalue()


IMAGE_SEEDS = [_image("PNG"), _image("PNG", "RGBA"), _image("PNG", "P"), _image("GIF", "P"), _image("BMP", "RGB"),
               _image("JPEG", "RGB"), _image("WEBP", "RGB"), _image("PNG", "1", (40, 3))]


# --- memory bounds -------------------------------------------------------------------------------


def _vm_hwm_mb() -> float:
    return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024


@pytest.fixture(autouse=True)
def bounded_rss():
    """The peak RSS may not grow by more than RSS_MB during one test (reset first where Linux allows)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass
    start = _vm_hwm_mb()
    yield
    assert _vm_hwm_mb() - start < RSS_MB


TALLY: dict[str, Counter] = {}  # test -> {"loaded": n, "rejected": n}, printed at the end (pytest -s)


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    for test, counts in TALLY.items():
        if counts:
            print(f"\n{test}: {counts['rejected']} inputs rejected with the one error type, "
                  f"{counts['loaded']} loaded")


def call(fn, allowed: type[Exception]):
    """fn() -> its result, or None if it raised `allowed`; the allocation it traces stays under PEAK_MB."""
    counts = TALLY.setdefault(os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0].split("::")[-1], Counter())
    tracemalloc.start()  # per call: traces never pile up across examples
    try:
        result = fn()
        counts["loaded"] += 1
        return result
    except allowed as exc:
        assert str(exc).strip(), "an error must say what is wrong"
        counts["rejected"] += 1
        return None
    finally:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        assert peak < PEAK_MB, f"{peak:.0f} MB allocated"


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- IDX -----------------------------------------------------------------------------------------


@FUZZ
@given(data=st.one_of(fuzzed(IDX_SEEDS), idx_headers), gz=st.booleans(), ndim=st.sampled_from([1, 3]))
def test_read_idx_raises_only_data_error(work, data, gz, ndim):
    path = work / ("f.idx.gz" if gz else "f.idx")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    array = call(lambda: read_idx(path, ndim), DataError)
    assert array is None or (array.ndim == ndim and array.dtype == np.uint8)


@FUZZ
@given(data=fuzzed([gzip.compress(s, mtime=0) for s in IDX_SEEDS]))
def test_read_idx_of_damaged_gzip_raises_only_data_error(work, data):
    path = work / "g.idx.gz"
    path.write_bytes(data)
    call(lambda: read_idx(path, 3), DataError)


@pytest.mark.parametrize("dims", [(2**32 - 1,), (2**31,), (2**32 - 1, 256, 256), (8000, 256, 256), (1, 2**32 - 1, 1)])
@pytest.mark.parametrize("gz", [False, True])
def test_an_absurd_idx_header_is_refused_before_allocating(work, dims, gz):
    data = bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + bytes(64)
    path = work / ("h.gz" if gz else "h")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(DataError, match="truncated|absurd|exceed|at most"):
        call(lambda: read_idx(path, len(dims)), ())


# --- npz, folder ---------------------------------------------------------------------------------


@FUZZ
@given(data=st.one_of(fuzzed(NPZ_SEEDS), crafted_npz()))
def test_npz_loader_raises_only_data_error(work, data):
    path = work / "f.npz"
    path.write_bytes(data)
    ds = call(lambda: load_dataset(f"npz:{path}"), DataError)
    assert ds is None or (isinstance(ds, Dataset) and ds.x_train.dtype == np.float32
                          and 0 <= ds.x_train.min() and ds.x_train.max() <= 1)


@pytest.mark.parametrize("shape", [(2**32,), (2**32, 1, 1), (70_000, 256, 256), (2**62,)])
def test_an_absurd_npz_header_is_refused_before_allocating(work, shape):
    header = f"{{'descr': '|u1', 'fortran_order': False, 'shape': {shape}, }}"
    header += " " * (-(len(header) + 11) % 64) + "\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(100))
    (work / "absurd.npz").write_bytes(buf.getvalue())
    with pytest.raises(DataError, match="claims shape|allowed"):
        call(lambda: load_dataset(f"npz:{work / 'absurd.npz'}"), ())


@pytest.fixture(scope="module")
def folder(work) -> Path:
    """Two classes of three grey 8x6 PNGs; the tests overwrite the first (it fixes the size) or the last."""
    for i in range(6):
        (work / "folder" / f"class{i % 2}").mkdir(parents=True, exist_ok=True)
        (work / "folder" / f"class{i % 2}" / f"{i}.png").write_bytes(IMAGE_SEEDS[0])
    return work / "folder"


@FUZZ
@given(data=fuzzed(IMAGE_SEEDS), victim=st.sampled_from(["class0/0.png", "class1/5.png"]))
def test_folder_loader_raises_only_data_error(folder, data, victim):
    (folder / victim).write_bytes(data)
    try:
        ds = call(lambda: load_dataset(f"folder:{folder}"), DataError)
    finally:
        (folder / victim).write_bytes(IMAGE_SEEDS[0])
    assert ds is None or ds.x_train.shape[1:] in ((1, 6, 8), (3, 6, 8))


def test_regression_a_png_chunk_claiming_2_gb_allocates_nothing(folder):
    """Found by the soak: read from a file, Pillow allocated the 2 GB a 43-byte PNG's IDAT header claims."""
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x08\x00\x00\x00\x06\x08\x00\x00\x00\x00"
           b"\xdbn\x80'\x7f\x00\x00\x00IDAT\x00\x00")
    (folder / "class0" / "0.png").write_bytes(png)
    try:
        with pytest.raises(DataError, match="0.png: not a readable image"):
            call(lambda: load_dataset(f"folder:{folder}"), ())
    finally:
        (folder / "class0" / "0.png").write_bytes(IMAGE_SEEDS[0])


def test_regression_a_zip_of_an_unknown_version_is_a_data_error(work):
    """Found by the soak: zipfile raises NotImplementedError for 'zip file version 6.4'."""
    data = bytearray(NPZ_SEEDS[0])
    central = data.index(b"PK\x01\x02")
    data[central + 6:central + 8] = (64).to_bytes(2, "little")  # "version needed to extract": 6.4
    data = bytes(data)
    (work / "v64.npz").write_bytes(data)
    with pytest.raises(DataError, match="not a readable .npz file"):
        load_dataset(f"npz:{work / 'v64.npz'}")
    with pytest.raises(UploadError):
        load_uploaded_npz(data)


# --- uploads -------------------------------------------------------------------------------------


@FUZZ
@given(data=fuzzed(IMAGE_SEEDS), shape=st.sampled_from([(1, 28, 28), (3, 32, 32), (1, 8, 8)]))
def test_upload_image_loader_raises_only_upload_error(data, shape):
    x = call(lambda: load_uploaded_image(data, shape), UploadError)
    assert x is None or (x.shape == shape and x.dtype == np.float32 and np.isfinite(x).all()
                         and 0 <= x.min() and x.max() <= 1)


@FUZZ
@given(data=st.one_of(fuzzed(NPZ_SEEDS), crafted_npz()))
def test_upload_npz_loader_raises_only_upload_error(data):
    ds = call(lambda: load_uploaded_npz(data), UploadError)
    assert ds is None or isinstance(ds, Dataset)


# --- checkpoints ---------------------------------------------------------------------------------


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8)
    | st.sampled_from([0, 1, -1, 2, 8, 64, 256, 10**9, 1e308, "mlp", "conv", "nan"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)
CONFIG_PATHS = ["schema_version", "weights_sha256", "data", "resume", "versions", "model", "train",
                *(f"model.{k}" for k in ["input_shape", "latent_dim", "arch", "hidden", "channels", "fc_width",
                                         "res_blocks", "activation", "likelihood", "gaussian_std"]),
                *(f"train.{k}" for k in ["data", "epochs", "batch_size", "lr", "beta", "schedule", "seed"])]


@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("good")
    torch.manual_seed(0)
    model = VAE(ModelConfig(input_shape=(1, 8, 8), latent_dim=2, arch="conv", channels=(4,), fc_width=8,
                            likelihood="gaussian"))
    path = ckpt.save_checkpoint(root / "c", model, TrainConfig(), [{"epoch": 1, "test_neg_elbo": 30.0}])
    return {p.name: p.read_bytes() for p in path.iterdir()}


@st.composite
def json_edit(draw, text: bytes) -> bytes:
    """config.json or history.json with one value replaced, removed, or a key added."""
    obj = json.loads(text)
    if isinstance(obj, list):
        obj = draw(st.sampled_from([obj + [draw(JSON)], [draw(JSON)], [{**obj[0], "epoch": draw(JSON)}]]))
    else:
        *parents, key = draw(st.sampled_from(CONFIG_PATHS)).split(".")
        target = obj
        for p in parents:
            target = target[p]
        action = draw(st.sampled_from(["set", "set", "drop", "add"]))
        if action == "set":
            target[key] = draw(JSON)
        elif action == "drop":
            target.pop(key)
        else:
            target[draw(st.text(min_size=1, max_size=6))] = draw(JSON)
    return json.dumps(obj).encode()


@st.composite
def damaged_checkpoint(draw, files: dict[str, bytes]) -> dict[str, bytes]:
    files = dict(files)
    victim = draw(st.sampled_from(["config.json", "history.json", "model.safetensors"]))
    if victim == "model.safetensors":
        files[victim] = draw(st.one_of(mutated(files[victim]), safetensors_edit(files[victim]), st.binary(max_size=64)))
        if draw(st.booleans()):  # as if written by someone who also updated the hash
            cfg = json.loads(files["config.json"])
            cfg["weights_sha256"] = hashlib.sha256(files[victim]).hexdigest()
            files["config.json"] = json.dumps(cfg).encode()
    else:
        files[victim] = draw(st.one_of(json_edit(files[victim]), mutated(files[victim])))
    return files


@st.composite
def safetensors_edit(draw, data: bytes) -> bytes:
    """A safetensors file whose JSON header has one tensor's dtype, shape or offsets changed."""
    n = struct.unpack("<Q", data[:8])[0]
    header, body = json.loads(data[8:8 + n]), data[8 + n:]
    key = draw(st.sampled_from(sorted(k for k in header if k != "__metadata__")))
    field = draw(st.sampled_from(["dtype", "shape", "data_offsets"]))
    header[key][field] = draw({"dtype": st.sampled_from(["F64", "F16", "I64", "BOOL", "U8", "XX"]),
                               "shape": st.lists(st.sampled_from(INTERESTING), max_size=3),
                               "data_offsets": st.lists(st.sampled_from(INTERESTING), min_size=2, max_size=2)}[field])
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


@FUZZ
@given(data=st.data())
def test_checkpoint_loader_raises_only_checkpoint_error(work, good_checkpoint, data):
    files = data.draw(damaged_checkpoint(good_checkpoint))
    folder = work / "ckpts" / "c"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    result = call(lambda: ckpt.load_checkpoint("c", work / "ckpts"), ckpt.CheckpointError)
    if result is not None:
        model, info = result
        assert all(torch.isfinite(t).all() for t in model.state_dict().values())
        assert ckpt.list_checkpoints(work / "ckpts") == ["c"]


def test_write_idx_round_trips_for_the_seeds(work):
    for seed in IDX_SEEDS:
        (work / "seed.idx").write_bytes(seed)
        array = read_idx(work / "seed.idx", seed[3])
        write_idx(work / "again.idx", array)
        assert (work / "again.idx").read_bytes() == seed
