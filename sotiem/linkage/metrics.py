"""How a matcher's answers are scored against the truth of the linkage test sets.

A link is an unordered pair of record ids, held as a sorted tuple (`pair("b", "a") == ("a", "b")`). The same
functions score our matcher and Splink's, so the two figures in docs/benchmarks.md mean the same thing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from itertools import combinations
from typing import Any

Pair = tuple[str, str]

AIRA_EXPECTS = ("match", "review", "non_match", "unsure")
OUTCOMES = ("link", "review", "new")


def pair(a: Any, b: Any) -> Pair:
    """The unordered pair of two record ids, as a sorted tuple of strings."""
    a, b = str(a), str(b)
    return (a, b) if a <= b else (b, a)


def _pairs(links: Iterable[tuple[Any, Any]]) -> set[Pair]:
    out = set()
    for a, b in links:
        if str(a) == str(b):
            raise ValueError(f"a record cannot be linked to itself: {a!r}")
        out.add(pair(a, b))
    return out


def _scores(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "tp": tp, "fp": fp, "fn": fn}


def pairwise_scores(
    predicted_links: Iterable[tuple[Any, Any]], truth_links: Iterable[tuple[Any, Any]]
) -> dict[str, float | int]:
    """Precision, recall and F1 of the predicted links against the true links (pairs in either order).

    Every pair not predicted is a non-link, so a true pair the matcher never looked at is missed (fn): this
    is Splink's `accuracy_analysis_from_labels_column` with its default of counting true pairs its blocking
    did not find. With no predicted (or no true) links the undefined ratio is 0.0.
    """
    predicted, truth = _pairs(predicted_links), _pairs(truth_links)
    tp = len(predicted & truth)
    return _scores(tp, len(predicted) - tp, len(truth) - tp)


def labelled_pair_scores(
    predicted_links: Iterable[tuple[Any, Any]], labels: Mapping[tuple[Any, Any], bool | int]
) -> dict[str, float | int]:
    """Precision, recall and F1 over the clerically labelled pairs only (label truthy = a match).

    A predicted link that nobody labelled counts neither way; a labelled match that was not predicted is
    missed. (fake_1000's labels hold every true pair and a sample of non-matching ones, so recall equals
    the cluster truth's while precision is measured on the sample.)
    """
    truth = {pair(a, b): bool(v) for (a, b), v in labels.items()}
    predicted = _pairs(predicted_links)
    tp = sum(1 for p in predicted if truth.get(p) is True)
    fp = sum(1 for p in predicted if truth.get(p) is False)
    fn = sum(truth.values()) - tp
    return _scores(tp, fp, fn)


def pairs_from_clusters(cluster_of: Mapping[Any, Hashable]) -> set[Pair]:
    """Every pair of records sharing a cluster (record id -> cluster id; a None cluster is a singleton).

    The pairs grow with the square of a cluster's size, which is fine for the test sets (historical_50k's
    largest cluster has 21 records: 50,578 records give 303,961 pairs). For clusterings that may hold
    one huge cluster use `cluster_scores`, which never lists pairs.
    """
    members: dict[Hashable, list[str]] = defaultdict(list)
    for record_id, cluster in cluster_of.items():
        if cluster is not None:
            members[cluster].append(str(record_id))
    out: set[Pair] = set()
    for ids in members.values():
        ids.sort()
        out.update(combinations(ids, 2))
    return out


def clusters_from_links(record_ids: Iterable[Any], links: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """The connected components of the links (record id -> the smallest id of its component)."""
    parent: dict[str, str] = {str(r): str(r) for r in record_ids}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = root(str(a)), root(str(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {r: root(r) for r in list(parent)}


def cluster_scores(
    predicted: Mapping[Any, Hashable], truth: Mapping[Any, Hashable]
) -> dict[str, float | int]:
    """Pairwise precision, recall and F1 of a clustering against the true one, counted without listing pairs.

    A pair is predicted when both records share a predicted cluster, true when they share a true cluster;
    records missing from `predicted` are singletons. Same figures as
    `pairwise_scores(pairs_from_clusters(predicted), pairs_from_clusters(truth))`.
    """

    def n_pairs(counts: Iterable[int]) -> int:
        return sum(n * (n - 1) // 2 for n in counts)

    truth_s = {str(k): v for k, v in truth.items()}
    predicted_s = {str(k): v for k, v in predicted.items()}
    both = Counter((predicted_s.get(r, ("singleton", r)), c) for r, c in truth_s.items() if c is not None)
    tp = n_pairs(both.values())
    n_predicted = n_pairs(Counter(c for c in predicted_s.values() if c is not None).values())
    n_truth = n_pairs(Counter(c for c in truth_s.values() if c is not None).values())
    return _scores(tp, n_predicted - tp, n_truth - tp)


def aira_accuracy(results: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Accuracy on the AIRA pairs, from (expect, outcome) per pair.

    expect is the AIRA label as `testdata.load_aira_pairs` maps it ("match", "review" for Possible Match,
    "non_match", "unsure" for Not Sure); outcome is the matcher's decision: "link", "review" or "new".

    - accuracy: over the Match and Not-a-Match pairs, the share decided right: "link" for a Match, "new" for
      a Not a Match. Sending one of these to review counts as wrong here; how many went to review is
      reported apart (`decisive_to_review`), and so are the two kinds of wrong decision: `false_links`
      (two different persons merged, the costly one) and `false_new` (a duplicate person created).
    - possible_match_caught: over the Possible Match pairs, the share sent to review or linked, i.e. not
      silently kept apart; how many were linked outright is `possible_match_linked`.
    - Not Sure pairs are counted (`unsure`) and otherwise ignored.
    `counts` holds every (expect, outcome) count.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for expect, outcome in results:
        if expect not in AIRA_EXPECTS:
            raise ValueError(f"unknown AIRA expectation {expect!r}")
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}: one of {OUTCOMES}")
        counts[expect, outcome] += 1

    def n(expect: str, outcome: str | None = None) -> int:
        return sum(v for (e, o), v in counts.items() if e == expect and (outcome is None or o == outcome))

    decisive = n("match") + n("non_match")
    correct = n("match", "link") + n("non_match", "new")
    possible = n("review")
    caught = n("review", "review") + n("review", "link")
    return {
        "accuracy": correct / decisive if decisive else 0.0,
        "decisive_pairs": decisive,
        "correct": correct,
        "decisive_to_review": n("match", "review") + n("non_match", "review"),
        "false_links": n("non_match", "link"),
        "false_new": n("match", "new"),
        "possible_match_pairs": possible,
        "possible_match_caught": caught / possible if possible else 0.0,
        "possible_match_linked": n("review", "link"),
        "unsure": n("unsure"),
        "counts": {f"{e}->{o}": counts[e, o] for e in AIRA_EXPECTS for o in OUTCOMES if counts[e, o]},
    }
