"""Splink's default models run offline on the vendored files and give plausible figures."""

import pytest

from sotiem.linkage import metrics
from sotiem.linkage.splink_default import aira_outcome, splink_default_aira, splink_default_fake_1000
from sotiem.linkage.testdata import load_aira_pairs, load_fake_1000


@pytest.mark.parametrize(
    ("probability", "outcome"),
    [(0.95, "link"), (0.9, "link"), (0.7, "review"), (0.5, "review"), (0.49, "new")],
)
def test_a_splink_probability_maps_to_link_review_or_new(probability, outcome):
    assert aira_outcome(probability) == outcome


@pytest.mark.slow
def test_splinks_example_model_on_fake_1000_reaches_a_plausible_f1():
    records, _ = load_fake_1000()
    truth = metrics.pairs_from_clusters(dict(zip(records["unique_id"], records["cluster"], strict=True)))

    predictions = splink_default_fake_1000()
    links = predictions.loc[predictions["match_probability"] >= 0.5, ["unique_id_l", "unique_id_r"]]
    scores = metrics.pairwise_scores(links.itertuples(index=False), truth)

    print(
        f"Splink default on fake_1000: F1 {scores['f1']:.3f} (P {scores['precision']:.3f}, "
        f"R {scores['recall']:.3f})"
    )
    assert list(predictions.columns) == ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]
    assert scores["f1"] > 0.5


@pytest.mark.slow
def test_the_aira_model_scores_exactly_the_given_pairs():
    pairs = load_aira_pairs()[::10]

    scored = splink_default_aira(pairs)

    assert list(scored["test_id"]) == [p.test_id for p in pairs]
    assert set(scored["outcome"]) <= {"link", "review", "new"}
    assert scored["match_probability"].between(0, 1).all()
