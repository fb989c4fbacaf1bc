"""Our matching model in Splink: the comparison levels of `people.matching` as Splink settings, trained by EM.

`train(features)` estimates the prior, u (random sampling) and m (expectation maximisation) on a table of
feature rows (`matching.feature_row`) and returns a `MatchModel` to write to the model file; `settings_for(model)`
gives Splink settings carrying a trained model's m and u, used by registry-wide deduplication. The levels'
SQL is `matching.sql_levels`, held to the Python `compare` by a test.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pandas as pd

from sotiem.people.matching import COMPARISONS, LEVELS, SQL_NULL, MatchModel, sql_levels

# Splink blocking for prediction: a pair is scored when it shares one of these
PREDICT_BLOCKS = ["block", "birth_block", "cccd", "cmnd", "passport"]
TRAINING_BLOCKS = [["dn"], ["key"], ["cccd"], ["passport"], ["given", "province"]]


def quiet() -> None:
    """Splink's INFO logging off (it reports every step)."""
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.WARNING)


def comparisons() -> list[Any]:
    """One Splink CustomComparison per matching comparison, levels in the order `compare` tests them."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    out = []
    conditions = sql_levels()
    for name in COMPARISONS:
        labels = [label for _, label in LEVELS[name]]
        levels: list[Any] = [
            cll.CustomLevel(SQL_NULL[name], labels[0], base_dialect_str="duckdb").configure(
                is_null_level=True
            )
        ]
        if name == "phone":
            levels += [cll.ArrayIntersectLevel("phones", 1), cll.ElseLevel()]
        else:
            levels += [
                cll.ElseLevel() if sql == "1 = 1" else cll.CustomLevel(sql, label, base_dialect_str="duckdb")
                for sql, label in zip(conditions[name], labels[1:], strict=True)
            ]
        out.append(cl.CustomComparison(levels, output_column_name=name))
    return out


def settings(*, prior: float = 1e-5, model: MatchModel | None = None, dialect: str = "duckdb") -> Any:
    """Splink settings for our comparisons; with a model, its trained m and u in every level."""
    from splink import SettingsCreator, block_on

    creator = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[block_on(c) for c in PREDICT_BLOCKS],
        probability_two_random_records_match=model.prior if model else prior,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    if model is None:
        return creator
    data = creator.get_settings(dialect).as_dict()
    for comparison in data["comparisons"]:
        name = comparison["output_column_name"]
        for index, level in enumerate(comparison["comparison_levels"]):
            if level.get("is_null_level"):
                continue
            # m and u chosen so that Splink's Bayes factor is exactly our level weight (caps and floors included)
            factor = 2 ** model.weights[name][index]
            m = min(max(model.m[name][index] or 0.5, 1e-9), 1.0)
            if m / factor > 1:  # a negative weight larger than m allows: u = 1 and m carries the factor
                m = factor
            level["m_probability"], level["u_probability"] = m, m / factor
    return data


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The feature rows as the typed table Splink reads (nullable integers stay integers)."""
    df = pd.DataFrame(rows)
    for column in ("dn", "yr", "md", "swap_dn"):
        df[column] = df[column].astype("Int64")
    return df


def train(
    features: pd.DataFrame, *, version: str, source: str, max_pairs: float = 5e6, seed: int = 2021
) -> MatchModel:
    """Train the match weights on a feature table with Splink: prior, u by sampling, m by EM."""
    from splink import DuckDBAPI, Linker, block_on

    quiet()
    api = DuckDBAPI()
    linker = Linker(api.register(features), settings())
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on(*cols)
            for cols in (["cccd"], ["passport"], ["key", "dn"])
            if features.dropna(subset=cols).duplicated(subset=cols).any()
        ],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    # only blocks some pairs share (a data set without CCCDs has none on cccd; Splink would refuse it)
    used = [cols for cols in TRAINING_BLOCKS if features.dropna(subset=cols).duplicated(subset=cols).any()]
    for columns in used:
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*columns))
    trained = linker.misc.save_model_to_json()
    return from_splink(
        trained,
        version=version,
        trained={
            "source": source,
            "records": len(features),
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "splink": __import__("splink").__version__,
            "em_blocks": used,
            "u_max_pairs": max_pairs,
            "seed": seed,
        },
    )


def from_splink(data: dict[str, Any], *, version: str, trained: dict[str, Any]) -> MatchModel:
    """Our model from Splink's saved settings: m and u per level (None where EM left a level untrained)."""
    m: dict[str, list[float | None]] = {}
    u: dict[str, list[float | None]] = {}
    for comparison in data["comparisons"]:
        name = comparison["output_column_name"]
        levels = comparison["comparison_levels"]
        if len(levels) != len(LEVELS[name]):
            raise ValueError(f"{name}: Splink has {len(levels)} levels, matching has {len(LEVELS[name])}")
        m[name] = [None if lv.get("is_null_level") else lv.get("m_probability") for lv in levels]
        u[name] = [None if lv.get("is_null_level") else lv.get("u_probability") for lv in levels]
    return MatchModel.from_json(
        {
            "version": version,
            "prior": data["probability_two_random_records_match"],
            "m": m,
            "u": u,
            "trained": trained,
            "levels": {n: [code for code, _ in lv] for n, lv in LEVELS.items()},
        }
    )
