"""Our matcher on the public linkage test sets, measured the way `splink_default` measures Splink's own models.

As in a registry, the weights are trained on each set's own records (Splink EM through `splink_model.train`);
the comparison levels and the link / review / new rules are the registry's (`matching`, `identity.decide`), not
tuned per set. The sets are English-language: the name comparisons still apply (order, middle names, case),
the Vietnamese sound-alike folds simply never fire. Place: the city stands for the province and the postcode
for the commune; the AIRA SSN is compared as an exact ID number (no CCCD structure).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from typing import Any

import pandas as pd

from sotiem.linkage import metrics
from sotiem.linkage.splink_model import frame, train
from sotiem.linkage.testdata import load_aira_pairs, load_fake_1000, load_historical_50k
from sotiem.people.identity import outcome
from sotiem.people.matching import MatchModel, MatchRecord, compare, feature_row


def record_of(row: dict[str, Any]) -> MatchRecord:
    """A test-set record (the common schema of `testdata`) as match features."""
    born = row.get("birth_date")
    birth = dt.date.fromisoformat(born) if isinstance(born, str) and born else None
    ident = str(row.get("national_id") or "").strip()
    phone = "".join(ch for ch in str(row.get("phone") or "") if ch.isdigit())
    city = str(row.get("city") or "").strip().lower()
    return MatchRecord.of(
        full_name=str(row.get("full_name") or ""),
        birth_date=birth,
        precision=str(row.get("birth_precision") or "day"),
        sex=str(row.get("sex") or ""),
        province_code=city,
        commune_code=str(row.get("postcode") or "").strip().lower(),
        ids=[("PASSPORT", ident)] if ident else [],
        phones=[phone] if len(phone) >= 7 else [],
    )


def _decide(weight: float, levels: tuple[int, ...], link_at: float, review_at: float, guards: bool) -> str:
    """The registry's rule (`identity.outcome`) when `guards`, else the bare model: link / review / new by weight."""
    if guards:
        return outcome(weight, levels, link_at=link_at, review_at=review_at)[0]
    return "link" if weight >= link_at else "review" if weight >= review_at else "new"


def _trained(records: dict[str, MatchRecord], name: str) -> MatchModel:
    return train(
        frame([feature_row(uid, r) for uid, r in records.items()]),
        version=f"eval-{name}",
        source=name,
        max_pairs=1e6,
    )


def _dedup(records: dict[str, MatchRecord], model: MatchModel, link_at: float, guards: bool) -> set[tuple]:
    from sotiem.linkage.dedup import score_pairs

    pairs = score_pairs(records, model, threshold=min(link_at, 0.0))  # type: ignore[arg-type]
    links = set()
    for left, right in zip(pairs["unique_id_l"], pairs["unique_id_r"], strict=True):
        a, b = str(left), str(right)
        levels = compare(records[a], records[b])
        if _decide(model.score(levels), levels, link_at, link_at, guards) == "link":
            links.add(metrics.pair(a, b))
    return links


def ours_report(*, link_at: float, review_at: float, guards: bool = True) -> dict[str, Any]:
    """Our matcher on fake_1000, historical_50k and the AIRA pairs: the figures `splink_default_report` gives.

    Pairs link at `link_at` bits (AIRA: review from `review_at`); `guards` adds the registry's rules (a name that
    agrees, no different ID) on top of the weights.
    """
    report: dict[str, Any] = {}
    table, labels = load_fake_1000()
    report["fake_1000"] = _set_report("fake_1000", table, link_at, guards)
    label_of = {(a, b): m for a, b, m in labels.itertuples(index=False)}
    report["fake_1000"]["clerical_labels"] = metrics.labelled_pair_scores(
        report["fake_1000"].pop("links"), label_of
    )
    report["historical_50k"] = _set_report("historical_50k", load_historical_50k(), link_at, guards)
    report["historical_50k"].pop("links")

    pairs = load_aira_pairs()
    started = time.perf_counter()
    records = {}
    for p in pairs:
        records[f"{p.test_id}-a"] = record_of(p.a)
        records[f"{p.test_id}-b"] = record_of(p.b)
    model = _trained(records, "aira")
    results = []
    for p in pairs:
        levels = compare(records[f"{p.test_id}-a"], records[f"{p.test_id}-b"])
        results.append(
            (
                p.expect,
                _decide(
                    model.score(levels),
                    levels,
                    link_at if guards else AIRA_LINK,
                    review_at if guards else AIRA_REVIEW,
                    guards,
                ),
            )
        )
    report["aira"] = {"seconds": time.perf_counter() - started, **metrics.aira_accuracy(results)}
    return report


# Splink's AIRA mapping (`splink_default`): link at probability 0.9, review at 0.5, as weights
AIRA_LINK = math.log2(0.9 / 0.1)
AIRA_REVIEW = 0.0


def _set_report(name: str, table: pd.DataFrame, link_at: float, guards: bool) -> dict[str, Any]:
    started = time.perf_counter()
    records = {str(row["unique_id"]): record_of(row) for row in table.to_dict("records")}
    model = _trained(records, name)
    links = _dedup(records, model, link_at, guards)
    seconds = time.perf_counter() - started
    truth = metrics.pairs_from_clusters(
        dict(zip(table["unique_id"].astype(str), table["cluster"], strict=True))
    )
    return {"seconds": seconds, "pairwise": metrics.pairwise_scores(links, truth), "links": links}
