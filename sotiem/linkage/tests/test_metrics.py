"""Pairwise scores, cluster pairs and the AIRA accuracy on small cases worked by hand."""

import pytest

from sotiem.linkage.metrics import (
    aira_accuracy,
    cluster_scores,
    clusters_from_links,
    labelled_pair_scores,
    pair,
    pairs_from_clusters,
    pairwise_scores,
)

TRUTH = {"1": "a", "2": "a", "3": "a", "4": "b", "5": "b", "6": "c"}  # true pairs: 12 13 23 45


def test_a_pair_is_unordered():
    assert pair(2, "1") == pair("1", 2) == ("1", "2")


def test_pairs_from_clusters_lists_every_pair_within_a_cluster_once():
    assert pairs_from_clusters(TRUTH) == {("1", "2"), ("1", "3"), ("2", "3"), ("4", "5")}
    assert pairs_from_clusters({"1": None, "2": None}) == set()


def test_pairwise_scores_count_both_orders_of_a_pair_as_one():
    predicted = [("2", "1"), ("1", "2"), ("4", "5"), ("3", "6")]  # 2 right, 1 wrong, 12 counted once

    scores = pairwise_scores(predicted, pairs_from_clusters(TRUTH))

    assert (scores["tp"], scores["fp"], scores["fn"]) == (2, 1, 2)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(1 / 2)
    assert scores["f1"] == pytest.approx(4 / 7)


def test_pairwise_scores_of_nothing_predicted_are_zero_not_an_error():
    assert pairwise_scores([], [("1", "2")]) == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "tp": 0,
        "fp": 0,
        "fn": 1,
    }


def test_a_record_linked_to_itself_is_refused():
    with pytest.raises(ValueError, match="itself"):
        pairwise_scores([("1", "1")], [])


def test_labelled_scores_ignore_links_nobody_labelled():
    labels = {("1", "2"): 1, ("2", "3"): 1, ("1", "6"): 0}

    scores = labelled_pair_scores([("2", "1"), ("1", "6"), ("4", "5")], labels)  # 45 unlabelled

    assert (scores["tp"], scores["fp"], scores["fn"]) == (1, 1, 1)


def test_clusters_from_links_are_the_connected_components():
    clusters = clusters_from_links(["1", "2", "3", "4", "9"], [("2", "3"), ("3", "1"), ("4", "5")])

    assert clusters == {"1": "1", "2": "1", "3": "1", "4": "4", "5": "4", "9": "9"}


def test_cluster_scores_agree_with_scoring_the_listed_pairs():
    predicted = {"1": "x", "2": "x", "3": "y", "4": "y", "5": "y"}  # 12 34 35 45; 6 alone

    expected = pairwise_scores(pairs_from_clusters(predicted), pairs_from_clusters(TRUTH))

    assert cluster_scores(predicted, TRUTH) == expected
    assert (expected["tp"], expected["fp"], expected["fn"]) == (2, 2, 2)


def test_aira_accuracy_counts_review_of_a_clear_pair_as_wrong_and_reports_it_apart():
    results = [
        ("match", "link"),
        ("match", "review"),
        ("match", "new"),
        ("non_match", "new"),
        ("non_match", "new"),
        ("non_match", "link"),
        ("review", "review"),
        ("review", "link"),
        ("review", "new"),
        ("unsure", "link"),
    ]

    scores = aira_accuracy(results)

    assert scores["accuracy"] == pytest.approx(3 / 6)
    assert (scores["decisive_pairs"], scores["correct"], scores["decisive_to_review"]) == (6, 3, 1)
    assert (scores["false_links"], scores["false_new"]) == (1, 1)
    assert scores["possible_match_caught"] == pytest.approx(2 / 3)
    assert (scores["possible_match_pairs"], scores["possible_match_linked"], scores["unsure"]) == (3, 1, 1)
    assert scores["counts"]["non_match->new"] == 2


@pytest.mark.parametrize("result", [("maybe", "link"), ("match", "merge")])
def test_aira_accuracy_refuses_unknown_labels(result):
    with pytest.raises(ValueError, match="unknown"):
        aira_accuracy([result])
