"""Interpolate, Generate, Anomaly detection and Neighbours on the bundled text checkpoint through AppTest (no
browser). Expected sentences are derived from the model through vae_core, never written out, so a better-trained
bundled checkpoint leaves these tests true."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "explorer" / "app.py")


@pytest.fixture(autouse=True)
def root(tmp_path, monkeypatch, copy_bundled):
    """A checkpoints folder holding a copy of the bundled text checkpoint only."""
    root = tmp_path / "checkpoints"
    copy_bundled(root, "grammar-16d")
    monkeypatch.setenv("LATENT_LAB_CHECKPOINTS", str(root))
    return root


@pytest.fixture(scope="module")
def model():
    from vae_core.checkpoint import load_checkpoint

    return load_checkpoint("grammar-16d", REPO / "checkpoints")[0]


def run(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at.switch_page(page).run()


def ok(at: AppTest) -> None:
    assert not at.exception and not at.error, [e.value for e in at.error] + [e.value for e in at.exception]


def test_typed_ends_are_reconstructed_at_both_ends_of_the_homotopy_table(model, component_data):
    from vae_core.latent import lerp
    from vae_core.text.items import decode_greedy, encode_typed

    at = run("views/interpolate.py", a="5", b="9", n="5", m="lerp")
    ok(at)
    typed = ("a huge green star is near a tiny white ball", "a small black cube is far from a big red circle")
    at.text_input(key="interp_strip_typed_a").input(typed[0]).run()
    at.text_input(key="interp_strip_typed_b").input(typed[1]).run()
    ok(at)
    table = at.dataframe[0].value
    z = lerp(encode_typed(model, typed[0]), encode_typed(model, typed[1]), 5)
    assert table["sentence"].tolist() == [typed[0], *decode_greedy(model, z).tolist(), typed[1]]
    assert "A: typed and B: typed" in " ".join(c.value for c in at.caption)
    # The path on the map runs between the typed sentences' codes, projected as the map is (PCA of the test mu).
    from vae_core.data import load_dataset
    from vae_core.projection import project_latents
    from vae_core.text.items import encode_lines

    proj = project_latents(encode_lines(model, load_dataset("grammar").lines_test)[0], "pca")[1]
    xy = np.array(component_data(at, "latent_lab.point_map")["path"])
    assert np.allclose(xy, proj.transform(z), atol=1e-4)


def test_an_unknown_character_gets_one_message_and_the_picked_sentence_stays(model):
    from vae_core.data import load_dataset

    at = run("views/interpolate.py", a="5", b="9", n="4", m="slerp")
    at.text_input(key="interp_strip_typed_a").input("a big ZEBRA!").run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert message.startswith("Sentence A: this model never saw the characters 'Z', 'E', 'B', 'R', 'A', '!'")
    assert "Using test sentence #5 instead" in message
    assert at.dataframe[0].value["sentence"].iloc[0] == load_dataset("grammar").lines_test[5]


def numbered(code: str) -> list[str]:
    """The sentences of a numbered batch (display.text.batch): '  1  a big ...' -> 'a big ...'."""
    return [line.split("  ", 1)[1] if "  " in line.strip() else "" for line in (s.lstrip() for s in
                                                                                   code.split("\n"))]


def test_generate_samples_sentences_at_a_temperature_and_greedily_up_to_a_cap(model):
    from vae_core.data import load_dataset
    from vae_core.text.sampling import length_cap, prior_sentences

    cap = length_cap(load_dataset("grammar").lines_test)  # a quarter above the longest test sentence
    at = run("views/generate.py", seed="4")
    ok(at)
    at.slider(key="gen_temperature").set_value(0.5).run()
    ok(at)
    sampled = prior_sentences(model, 16, seed=4, temperature=0.5, max_len=cap, ellipsis=True)[1].tolist()
    assert numbered(at.code[0].value) == sampled
    assert f"after {cap} characters" in " ".join(c.value for c in at.caption)  # the page says the cap
    at.radio(key="gen_decoding").set_value("greedy").run()
    greedy = prior_sentences(model, 16, seed=4, greedy=True, max_len=cap, ellipsis=True)[1].tolist()
    assert numbered(at.code[0].value) == greedy


def test_generate_traverses_one_dimension_per_column_of_sentences(model):
    from vae_core.data import load_dataset
    from vae_core.latent import manifold_grid, traversal_values, traverse
    from vae_core.text.items import decode_greedy
    from vae_core.text.sampling import length_cap

    cap = length_cap(load_dataset("grammar").lines_test)  # as the prior samples: the cells stop there too
    at = run("views/generate.py")
    ok(at)
    at.slider(key="gen_steps").set_value(5).run()
    traversal = at.dataframe[1].value  # after the manifold grid's table
    assert traversal.shape == (5, 10) and list(traversal.index) == ["-3.00", "-1.50", "+0.00", "+1.50", "+3.00"]
    dim = int(traversal.columns[0].split(" ")[0][1:])
    want = decode_greedy(model, traverse(np.zeros(16, np.float32), [dim], traversal_values(5, 3.0)), max_len=cap,
                         ellipsis=True)
    assert traversal.iloc[:, 0].tolist() == want.tolist()
    manifold = at.dataframe[0].value
    assert manifold.shape == (15, 15) and all(isinstance(s, str) for s in manifold.to_numpy().ravel())
    dx, dy = (int(name.split(" ")[0][1:]) for name in (manifold.columns[0], manifold.index[0]))
    cells = decode_greedy(model, manifold_grid(15, dims=(dx, dy), latent_dim=16), max_len=cap, ellipsis=True)
    assert manifold.to_numpy().ravel().tolist() == cells.tolist()
    shown = list(manifold.to_numpy().ravel()) + list(traversal.to_numpy().ravel())
    assert max(len(s) for s in shown) <= cap + 1 and any(s.endswith("…") for s in shown)  # not 256 characters
    assert sum(f"after {cap} characters" in c.value for c in at.caption) == 3  # samples, grid and traversals say so


def test_anomaly_scores_outside_sets_and_typed_sentences(model):
    from vae_core.analysis.anomaly import ood_items, score_items
    from vae_core.data import load_dataset
    from vae_core.metrics import auroc

    at = run("views/anomaly.py")
    ok(at)
    s_in = score_items(model, np.array(load_dataset("grammar").lines_test))
    sets = ood_items("grammar", model)
    shown = {m.label: m.value for m in at.metric}
    assert list(shown) == [f"AUROC · {name}" for name in sets]
    for name, items in sets.items():
        assert shown[f"AUROC · {name}"] == f"{auroc(s_in, score_items(model, items)):.3f}"
    typed = ["a big red ball is near a tiny blue star", "big a ball red is star near", "a BIG red ball"]
    at.text_area(key="anomaly_typed").input("\n".join(typed) + "\n\n").run()
    ok(at)
    table = at.dataframe[-1].value
    assert table["sentence"].tolist() == typed
    assert np.allclose(table["score (nats)"], np.round(score_items(model, np.array(typed)), 1))
    assert table["unknown characters"].tolist() == ["", "", "B I G"]
    assert table["verdict"].iloc[2] == "unusual"  # three unknown characters: far above any test sentence


def test_neighbours_lists_nearest_sentences_and_applies_make_it_bigger(model):
    from vae_core.analysis import neighbours as nb
    from vae_core.data import load_dataset
    from vae_core.text.attributes import factor_groupings, read_factors
    from vae_core.text.items import decode_greedy, encode_lines

    ds = load_dataset("grammar")
    mu = encode_lines(model, ds.lines_test)[0]
    at = run("views/neighbours.py", i="3")
    ok(at)
    near = at.dataframe[0].value
    idx, _ = nb.neighbours_of(mu, 3, 8)
    assert near["#"].tolist() == idx.tolist()
    assert near["sentence"].tolist() == [ds.lines_test[j] for j in idx]

    at.button(key="nb_bigger").click().run()
    ok(at)
    assert at.selectbox(key="nb_by").value == "size"
    g, names = factor_groupings(ds.factors_test)["size"]
    v = nb.attribute_vector(mu, g, names.index("huge"), names.index("tiny"))
    want = decode_greedy(model, nb.along(mu[3], v, np.linspace(-2.0, 2.0, 9)))
    table = at.dataframe[1].value
    assert table["sentence"].tolist() == want.tolist()
    assert table["size"].tolist() == [(read_factors(s) or {}).get("size", "?") for s in want]

    at.button(key="nb_recolour").click().run()
    ok(at)
    colour = read_factors(ds.lines_test[3])["colour"]
    assert at.selectbox(key="nb_by").value == "colour"
    assert at.selectbox(key="nb_minus_colour").value == names_index(colour)


def names_index(colour: str) -> int:
    from vae_core.text.corpora import COLOURS

    return COLOURS.index(colour)


def test_the_text_widgets_keep_their_values_across_pages():
    """Streamlit drops a widget's value when a run does not draw it; page_keys keeps these (typed ends on
    Interpolate, the decoding mode on Generate, the typed sentences and the threshold on Anomaly detection)."""
    at = run("views/interpolate.py", a="5", b="9")
    at.text_input(key="interp_strip_typed_a").input("a big red ball is near a tiny blue star").run()
    at.switch_page("views/generate.py").run()
    at.radio(key="gen_decoding").set_value("greedy").run()
    at.switch_page("views/anomaly.py").run()
    at.text_area(key="anomaly_typed").input("a red ball").run()
    at.select_slider(key="anomaly_quantile").set_value(95.0).run()
    ok(at)
    at.switch_page("views/explore.py").run()
    ok(at)
    at.switch_page("views/interpolate.py").run()
    assert at.text_input(key="interp_strip_typed_a").value == "a big red ball is near a tiny blue star"
    assert "A: typed" in " ".join(c.value for c in at.caption)
    at.switch_page("views/generate.py").run()
    assert at.radio(key="gen_decoding").value == "greedy"
    at.switch_page("views/anomaly.py").run()
    assert at.text_area(key="anomaly_typed").value == "a red ball"
    assert at.select_slider(key="anomaly_quantile").value == 95.0
    ok(at)
