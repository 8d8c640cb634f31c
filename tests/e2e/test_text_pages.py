"""The pages for text on the bundled text checkpoint (grammar-16d), one server for all: on Interpolate two typed
sentences become the ends of the homotopy table, reconstructed at t = 0 and 1, with a decoded sentence at every
step, and an unknown character gets one message; Generate shows sentences from the prior, sampled or greedy;
Anomaly detection scores typed sentences and names a bad upload's fault; Neighbours applies "make it bigger".
Expected sentences come from the model through vae_core, so a retrained checkpoint leaves the tests true."""

import numpy as np
import pytest
from playwright.sync_api import expect

from vae_core.analysis import neighbours as nb
from vae_core.checkpoint import load_checkpoint
from vae_core.data import load_dataset
from vae_core.latent import slerp
from vae_core.text.attributes import factor_groupings, read_factors
from vae_core.text.items import decode_greedy, encode_lines, encode_typed
from vae_core.text.sampling import length_cap, prior_sentences

pytestmark = pytest.mark.e2e

TABLE = ".st-key-interp_strip"
EXCEPTION = '[data-testid="stException"]'
TYPED = ("a huge green star is near a tiny white ball", "a small black cube is far from a big red circle")
STEPS = 6


@pytest.fixture(scope="module")
def model(text_app):
    return load_checkpoint("grammar-16d", text_app.root)[0]


def type_end(page, end: str, sentence: str) -> None:
    box = page.locator(f".st-key-interp_strip_typed_{end} input")
    box.fill(sentence)
    box.press("Enter")  # a rerun; callers wait for what it shows, as the page reads "not running" until it starts


def test_typed_sentences_are_the_ends_and_every_step_has_a_sentence(text_app, page, e2e, model):
    path = slerp(encode_typed(model, TYPED[0]), encode_typed(model, TYPED[1]), STEPS)
    want = ["A", TYPED[0]]
    for t, s in zip([f"{t:.2f}" for t in (i / (STEPS - 1) for i in range(STEPS))], decode_greedy(model, path),
                    strict=True):
        want += [t, str(s)]
    want += ["B", TYPED[1]]

    e2e.open_text(page, text_app, "interpolate", a=5, b=9, n=STEPS, m="slerp")
    type_end(page, "a", TYPED[0])
    expect(page.get_by_text("A: typed and B: test sentence #9")).to_be_visible(timeout=60_000)
    type_end(page, "b", TYPED[1])
    expect(page.get_by_text("A: typed and B: typed")).to_be_visible(timeout=60_000)
    expect(page.locator(f'{TABLE} [role="gridcell"]')).to_have_text(want, timeout=60_000)
    assert all(want[1::2])  # a sentence at every step, none empty
    assert page.locator(EXCEPTION).count() == 0


def test_an_unknown_character_is_named_once(text_app, page, e2e):
    e2e.open_text(page, text_app, "interpolate", a=5, b=9, n=STEPS, m="slerp")
    type_end(page, "b", "a big Zebra")
    alert = page.locator('[data-testid="stAlertContentError"]')
    expect(alert).to_have_count(1, timeout=60_000)
    expect(alert).to_contain_text("Sentence B: this model never saw the character 'Z'")
    assert page.locator(EXCEPTION).count() == 0


def test_generate_shows_sampled_then_greedy_sentences_from_the_prior(text_app, page, e2e, model):
    e2e.open_text(page, text_app, "generate", seed=4)
    samples = page.locator(".st-key-gen_samples code")
    cap = length_cap(load_dataset("grammar").lines_test)  # the page stops a sentence there
    sampled = prior_sentences(model, 16, seed=4, temperature=1.0, max_len=cap, ellipsis=True)[1]
    expect(samples).to_have_text("\n".join(f"{i + 1:>2}  {s}" for i, s in enumerate(sampled)), timeout=60_000)
    page.locator(".st-key-gen_decoding").get_by_text("greedy").click()
    greedy = prior_sentences(model, 16, seed=4, greedy=True, max_len=cap, ellipsis=True)[1]
    expect(samples).to_have_text("\n".join(f"{i + 1:>2}  {s}" for i, s in enumerate(greedy)), timeout=60_000)
    assert page.locator(EXCEPTION).count() == 0


def test_anomaly_scores_typed_sentences_and_names_a_bad_upload(text_app, page, e2e, tmp_path):
    e2e.open_text(page, text_app, "anomaly")
    for name in ("shuffled words", "pydoc", "random characters"):
        expect(page.get_by_text(f"AUROC · {name}")).to_be_visible(timeout=60_000)
    typed = ["a big red ball is near a tiny blue star", "a BIG red ball"]
    box = page.locator(".st-key-anomaly_typed textarea")
    box.fill("\n".join(typed))
    box.press("Control+Enter")
    table = page.locator('.st-key-anomaly_verdict [role="gridcell"]')
    expect(table.first).to_have_text(typed[0], timeout=60_000)
    expect(page.locator(".st-key-anomaly_verdict")).to_contain_text("sentences score above the threshold")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    page.locator(".st-key-anomaly_upload input[type=file]").set_input_files(str(bad))
    alert = page.locator('[data-testid="stAlertContentError"]')
    expect(alert).to_have_count(1, timeout=60_000)
    expect(alert).to_contain_text("bad.txt: is a binary file (it contains NUL bytes), not UTF-8 text")
    assert page.locator(EXCEPTION).count() == 0


def test_neighbours_make_it_bigger_decodes_along_the_size_vector(text_app, page, e2e, model):
    ds = load_dataset("grammar")
    mu = encode_lines(model, ds.lines_test)[0]
    g, names = factor_groupings(ds.factors_test)["size"]
    v = nb.attribute_vector(mu, g, names.index("huge"), names.index("tiny"))
    strengths = np.linspace(-2.0, 2.0, 9)
    want = []
    for s, sentence in zip(strengths, decode_greedy(model, nb.along(mu[3], v, strengths)), strict=True):
        want += [f"{s:+g}", str(sentence), (read_factors(sentence) or {}).get("size", "?")]

    e2e.open_text(page, text_app, "neighbours", i=3)
    near = page.locator('.st-key-nb_text_neighbours [role="gridcell"]')
    expect(near.nth(2)).to_have_text(ds.lines_test[int(nb.neighbours_of(mu, 3, 8)[0][0])], timeout=60_000)
    page.locator(".st-key-nb_bigger button").click()
    expect(page.locator('.st-key-nb_text_attribute [role="gridcell"]')).to_have_text(want, timeout=60_000)
    assert page.locator(EXCEPTION).count() == 0
