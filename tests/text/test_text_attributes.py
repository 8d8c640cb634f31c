"""vae_core/text/attributes.py: the grammar's factors as named groups, and read back from sentences."""

import numpy as np

from vae_core.analysis.neighbours import attribute_vector
from vae_core.text.attributes import factor_groupings, read_factors
from vae_core.text.corpora import FACTORS, generate_grammar, grammar_sentence


def test_groupings_name_each_factor_value_with_its_word():
    lines, factors = generate_grammar(50, seed=1)
    groups = factor_groupings(factors)
    assert list(groups) == list(FACTORS)
    g, names = groups["colour"]
    assert names == list(FACTORS["colour"]) and g.shape == (50,)
    assert all(f" {names[g[i]]} " in lines[i].split(" is ")[0] + " " for i in range(50))
    assert factor_groupings(None) == {} and factor_groupings({}) == {}


def test_read_factors_inverts_grammar_sentence_and_refuses_others():
    lines, factors = generate_grammar(30, seed=2)
    for i, line in enumerate(lines):
        assert read_factors(line) == {name: FACTORS[name][int(factors[name][i])] for name in FACTORS}
    assert read_factors(grammar_sentence({n: 0 for n in FACTORS}))["relation"] == "above"
    assert read_factors("a big red circle is above") is None
    assert read_factors("a big red circle is left of a huge blue star")["relation"] == "left of"


def test_an_attribute_vector_between_two_sizes_points_from_one_mean_to_the_other():
    _, factors = generate_grammar(40, seed=3)
    g, names = factor_groupings(factors)["size"]
    mu = np.eye(4, dtype=np.float32)[g]  # a code that is the size itself, one-hot
    v = attribute_vector(mu, g, names.index("huge"), names.index("tiny"))
    assert np.allclose(v, np.eye(4)[names.index("huge")] - np.eye(4)[names.index("tiny")])
