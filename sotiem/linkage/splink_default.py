"""Splink's own default models on the linkage test sets: the baseline our matcher is reported next to.

"Default" means configured the way Splink's documentation configures a model for that data, in Splink 5's
API, trained unsupervised (no labels) as those pages train it:

- fake_1000: the example "Evaluation when you have fully labelled data"
  (splink docs/demos/examples/duckdb/accuracy_analysis_from_labels_column), the page where Splink itself
  measures a fake_1000 model against the cluster column.
- historical_50k: the example "Linking a dataset of real historical persons"
  (splink docs/demos/examples/duckdb/deduplicate_50k_synthetic).
- AIRA: Splink documents no model for it. The AIRA tests are pairs, not a data set, so all A and B records
  become one data set, a generic model in the style of the tutorial (docs/demos/tutorials/04) is trained on
  it, and then exactly the given pairs are scored (predictions are blocked on the test id, which pairs each
  A with its own B and nothing else).

Each model reads its data as Splink's examples do (`testdata.read_splink_dataset`: Splink's column names and
types), not our record schema. Pairwise results are judged at match_probability >= 0.5, the threshold of
Splink's accuracy tooling. For AIRA a probability >= 0.9 is a link, >= 0.5 a review, anything lower new.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from sotiem.linkage import metrics
from sotiem.linkage.testdata import AiraPair, load_aira_pairs, load_fake_1000, read_splink_dataset

PAIR_THRESHOLD = 0.5  # Splink's accuracy_analysis_from_labels_column default
AIRA_LINK_AT = 0.9
AIRA_REVIEW_AT = 0.5
PREDICTION_COLUMNS = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]


@contextlib.contextmanager
def quiet_splink() -> Iterator[None]:
    """Splink's INFO chatter (training progress, timings) off for the duration, then as it was."""
    logger = logging.getLogger("splink")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _db_api() -> Any:
    """A DuckDB database API for one model, without DuckDB's progress bar on stderr."""
    from splink import DuckDBAPI

    db_api = DuckDBAPI()
    db_api.duckdb_con.execute("SET enable_progress_bar = false")
    return db_api


def _predictions_frame(predictions: Any) -> pd.DataFrame:
    """The four columns of a Splink prediction table as pandas, record ids as strings, lower id on the left."""
    rel = predictions.as_duckdbpyrelation().select(
        "cast(unique_id_l as varchar) as unique_id_l, cast(unique_id_r as varchar) as unique_id_r, "
        "match_probability, match_weight"
    )
    frame = rel.df()
    return frame[PREDICTION_COLUMNS]


# --- fake_1000 ------------------------------------------------------------------------------------------


def fake_1000_settings() -> Any:
    """The SettingsCreator of Splink's accuracy_analysis_from_labels_column example on fake_1000."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("first_name"),
            block_on("surname"),
            block_on("dob"),
            block_on("email"),
        ],
        comparisons=[
            cl.ForenameSurnameComparison("first_name", "surname"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
        ],
        retain_intermediate_calculation_columns=True,
    )


def splink_default_fake_1000(
    table: Any = None, *, threshold_match_probability: float | None = None
) -> pd.DataFrame:
    """Train Splink's example model on fake_1000 and return its scored pairs (unique_id_l/_r, probability, weight).

    `table` is fake_1000 in Splink's layout (pyarrow Table or pandas; default: the vendored file read the way
    splink.datasets reads it). Training, as the example: probability two random records match from four
    deterministic rules at recall 0.7; u by random sampling (1e6 pairs, seed 5); m by EM blocked on dob, on
    email, then on first_name+surname, each without term frequencies.
    """
    from splink import Linker, block_on

    table = read_splink_dataset("fake_1000") if table is None else table
    with quiet_splink():
        db_api = _db_api()
        linker = Linker(db_api.register(table), fake_1000_settings(), log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            [
                "l.first_name = r.first_name and levenshtein(r.dob::VARCHAR, l.dob::VARCHAR) <= 1",
                "l.surname = r.surname and levenshtein(r.dob::VARCHAR, l.dob::VARCHAR) <= 1",
                "l.first_name = r.first_name and levenshtein(r.surname, l.surname) <= 2",
                "l.email = r.email",
            ],
            recall=0.7,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=5)
        for rule in (block_on("dob"), block_on("email"), block_on("first_name", "surname")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        predictions = linker.inference.predict(threshold_match_probability=threshold_match_probability)
        return _predictions_frame(predictions)


# --- historical_50k -------------------------------------------------------------------------------------

HISTORICAL_50K_BLOCKING = [
    ("substr(first_name,1,3)", "substr(surname,1,4)"),
    ("surname", "dob"),
    ("first_name", "dob"),
    ("postcode_fake", "first_name"),
    ("postcode_fake", "surname"),
    ("dob", "birth_place"),
    ("substr(postcode_fake,1,3)", "dob"),
    ("substr(postcode_fake,1,3)", "first_name"),
    ("substr(postcode_fake,1,3)", "surname"),
    ("substr(first_name,1,2)", "substr(surname,1,2)", "substr(dob,1,4)"),
]


def historical_50k_settings() -> Any:
    """The SettingsCreator of Splink's deduplicate_50k_synthetic example."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[block_on(*cols) for cols in HISTORICAL_50K_BLOCKING],
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name", "surname", forename_surname_concat_col_name="first_name_surname_concat"
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode_fake"),
            cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
            cl.ExactMatch("occupation").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )


def splink_default_historical_50k(
    table: Any = None, *, threshold_match_probability: float | None = None
) -> pd.DataFrame:
    """Train Splink's example model on historical_50k and return its scored pairs.

    As the example: a first_name_surname_concat column is added (for the term frequencies of the
    forename+surname comparison); probability two random records match from three deterministic rules at
    recall 0.6; u by random sampling (1e7 pairs; seeded here, unlike the example, so that the figure repeats);
    m by EM blocked on first_name+surname, then on dob, each
    without term frequencies.
    """
    from splink import Linker, block_on

    table = read_splink_dataset("historical_50k") if table is None else table
    with quiet_splink():
        db_api = _db_api()
        relation = (
            db_api.duckdb_con.from_arrow(table)
            if not isinstance(table, pd.DataFrame)
            else db_api.duckdb_con.from_df(table)
        )
        relation = relation.project("*, first_name || ' ' || surname as first_name_surname_concat")
        linker = Linker(db_api.register(relation), historical_50k_settings(), log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            [
                block_on("first_name", "surname", "dob"),
                block_on("substr(first_name,1,2)", "surname", "substr(postcode_fake,1,2)"),
                block_on("dob", "postcode_fake"),
            ],
            recall=0.6,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=5)
        for rule in (block_on("first_name", "surname"), block_on("dob")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        predictions = linker.inference.predict(threshold_match_probability=threshold_match_probability)
        return _predictions_frame(predictions)


# --- AIRA -----------------------------------------------------------------------------------------------


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def aira_table(pairs: Sequence[AiraPair]) -> pd.DataFrame:
    """All A and B records of the AIRA tests in one table for Splink (empty values as nulls)."""
    rows = []
    for p in pairs:
        for record in (p.a, p.b):
            rows.append(
                {
                    "unique_id": record["unique_id"],
                    "test_id": p.test_id,
                    "given_name": record["given_name"].lower(),
                    "family_name": record["family_name"].lower(),
                    "birth_date": record["birth_date"],
                    "sex": record["sex"] if record["sex"] in {"M", "F"} else "",
                    "postcode": record["postcode"][:5],
                    "phone": _digits(record["phone"]),
                    "national_id": _digits(record["national_id"]),
                }
            )
    frame = pd.DataFrame(rows)
    text = [c for c in frame.columns if c not in {"unique_id", "test_id", "birth_date"}]
    frame[text] = frame[text].where(frame[text] != "", None)
    return frame


def aira_settings(*, use_national_id: bool = False) -> Any:
    """A generic Splink person model for the AIRA records (no Splink page configures one for this data).

    NameComparison on given and family name, DateOfBirthComparison, exact matches on sex, ZIP and phone
    (term frequencies on ZIP, as the tutorial does for city); with use_national_id, an exact match on the
    SSN too. Predictions are blocked on the test id only, so exactly the AIRA pairs are scored.
    """
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons: list[Any] = [
        cl.NameComparison("given_name"),
        cl.NameComparison("family_name"),
        cl.DateOfBirthComparison("birth_date", input_is_string=True),
        cl.ExactMatch("sex"),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        cl.ExactMatch("phone"),
    ]
    if use_national_id:
        comparisons.append(cl.ExactMatch("national_id"))
    return SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[block_on("test_id")],
        comparisons=comparisons,
        retain_intermediate_calculation_columns=False,
    )


def aira_outcome(match_probability: float) -> str:
    """Our decision for a Splink probability: link at >= 0.9, review at >= 0.5, otherwise new."""
    if match_probability >= AIRA_LINK_AT:
        return "link"
    if match_probability >= AIRA_REVIEW_AT:
        return "review"
    return "new"


def splink_default_aira(
    pairs: Sequence[AiraPair] | None = None, *, use_national_id: bool = False
) -> pd.DataFrame:
    """Train the generic model on the AIRA records and score exactly the AIRA pairs.

    Returns one row per pair, in the order given: test_id, scenario, expect, match_probability, match_weight,
    outcome. Training in the tutorial's way: probability two random records match from deterministic rules
    (given name + birth date, family name + birth date, phone) at recall 0.7; u by random sampling (1e6
    pairs, seed 5); m by EM blocked on birth date, then on given + family name.
    """
    from splink import Linker, block_on

    pairs = load_aira_pairs() if pairs is None else list(pairs)
    with quiet_splink():
        db_api = _db_api()
        linker = Linker(
            db_api.register(aira_table(pairs)), aira_settings(use_national_id=use_national_id), log_level=None
        )
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given_name", "birth_date"), block_on("family_name", "birth_date"), block_on("phone")],
            recall=0.7,
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=5)
        for rule in (block_on("birth_date"), block_on("given_name", "family_name")):
            linker.training.estimate_parameters_using_expectation_maximisation(rule)
        scored = _predictions_frame(linker.inference.predict())
    by_pair = {metrics.pair(a, b): (p, w) for a, b, p, w in scored.itertuples(index=False)}
    rows = []
    for p in pairs:
        probability, weight = by_pair[metrics.pair(p.a["unique_id"], p.b["unique_id"])]
        rows.append(
            {
                "test_id": p.test_id,
                "scenario": p.scenario,
                "expect": p.expect,
                "match_probability": probability,
                "match_weight": weight,
                "outcome": aira_outcome(probability),
            }
        )
    return pd.DataFrame(rows)


# --- the report -----------------------------------------------------------------------------------------


def _links(predictions: pd.DataFrame, threshold: float) -> list[tuple[str, str]]:
    kept = predictions[predictions["match_probability"] >= threshold]
    return list(zip(kept["unique_id_l"], kept["unique_id_r"], strict=True))


def _pair_report(predictions: pd.DataFrame, cluster_of: dict[str, str], threshold: float) -> dict[str, Any]:
    links = _links(predictions, threshold)
    return {
        "threshold_match_probability": threshold,
        "pairs_scored": len(predictions),
        "pairwise": metrics.pairwise_scores(links, metrics.pairs_from_clusters(cluster_of)),
        "clustered": metrics.cluster_scores(metrics.clusters_from_links(cluster_of, links), cluster_of),
    }


def splink_default_report(threshold: float = PAIR_THRESHOLD) -> dict[str, Any]:
    """Splink's default models on the three sets: metrics and the seconds each took (training + scoring).

    fake_1000 and historical_50k: pairwise precision/recall/F1 of the pairs scored >= threshold against the
    cluster truth ("pairwise"), and of the connected components of those links ("clustered"); fake_1000
    also against its clerical labels ("clerical_labels"). AIRA: `metrics.aira_accuracy`, for the model
    without and with the SSN. Reading the files is not timed.
    """
    import splink

    report: dict[str, Any] = {"splink_version": splink.__version__}

    records, labels = load_fake_1000()
    cluster_of = dict(zip(records["unique_id"], records["cluster"], strict=True))
    table = read_splink_dataset("fake_1000")
    started = time.perf_counter()
    predictions = splink_default_fake_1000(table)
    seconds = time.perf_counter() - started
    label_of = {(a, b): m for a, b, m in labels.itertuples(index=False)}
    report["fake_1000"] = {
        "seconds": seconds,
        **_pair_report(predictions, cluster_of, threshold),
        "clerical_labels": metrics.labelled_pair_scores(_links(predictions, threshold), label_of),
    }

    table = read_splink_dataset("historical_50k")
    cluster_of = dict(
        zip(table.column("unique_id").to_pylist(), table.column("cluster").to_pylist(), strict=True)
    )
    started = time.perf_counter()
    predictions = splink_default_historical_50k(table)
    seconds = time.perf_counter() - started
    report["historical_50k"] = {"seconds": seconds, **_pair_report(predictions, cluster_of, threshold)}

    pairs = load_aira_pairs()
    for key, use_national_id in (("aira", False), ("aira_with_ssn", True)):
        started = time.perf_counter()
        scored = splink_default_aira(pairs, use_national_id=use_national_id)
        seconds = time.perf_counter() - started
        report[key] = {
            "seconds": seconds,
            "link_at": AIRA_LINK_AT,
            "review_at": AIRA_REVIEW_AT,
            **metrics.aira_accuracy(zip(scored["expect"], scored["outcome"], strict=True)),
        }
    return report
