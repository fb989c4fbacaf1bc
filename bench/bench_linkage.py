"""Linkage benchmark: our matcher and Splink's own default models on the public test sets, in the same run.

    python -m bench.bench_linkage

fake_1000 and historical_50k (Splink's datasets): pairwise precision, recall and F1 of the links each makes,
against the cluster column (and fake_1000's clerical labels). AIRA patient-matching pairs: accuracy on the
Match and Not-a-Match pairs (Possible Match counts as review), `linkage.metrics.aira_accuracy`. Splink's
models: `linkage.splink_default` (settings from Splink's own examples, links at probability >= 0.5). Ours: the
registry's comparisons and link rule, weights trained on each set's own records (`linkage.evaluation`).
"""

from __future__ import annotations

import json
import os


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sotiem.settings")
    django.setup()
    from django.conf import settings

    from bench.report import write_section
    from sotiem.linkage.evaluation import ours_report
    from sotiem.linkage.splink_default import splink_default_report

    link_at, review_at = settings.SOTIEM_MATCH_LINK_WEIGHT, settings.SOTIEM_MATCH_REVIEW_WEIGHT
    theirs = splink_default_report()
    model_only = ours_report(link_at=0.0, review_at=0.0, guards=False)  # Splink's operating point: p >= 0.5
    registry = ours_report(link_at=link_at, review_at=review_at, guards=True)
    print(
        json.dumps({"model_only": model_only, "registry": registry, "splink": theirs}, indent=1, default=str)
    )

    def f(block: dict, key: str = "pairwise") -> str:
        s = block[key]
        return f"{s['precision']:.3f} / {s['recall']:.3f} / **{s['f1']:.3f}**"

    lines = [
        "| test set | measure | Splink default | sotiem model, same operating point | sotiem registry rule |",
        "|---|---|---|---|---|",
    ]
    for key, label in (
        ("fake_1000", "fake_1000 (1,000 records)"),
        ("historical_50k", "historical_50k (50,578)"),
    ):
        lines.append(
            f"| {label} | pairwise P / R / F1 vs clusters | {f(theirs[key])} | {f(model_only[key])} | "
            f"{f(registry[key])} |"
        )
        if key == "fake_1000":
            lines.append(
                f"| fake_1000 | vs clerical labels | {f(theirs[key], 'clerical_labels')} | "
                f"{f(model_only[key], 'clerical_labels')} | {f(registry[key], 'clerical_labels')} |"
            )
    lines.append(
        f"| AIRA pairs (2,841) | accuracy on Match / Not a Match | **{theirs['aira']['accuracy']:.3f}** | "
        f"**{model_only['aira']['accuracy']:.3f}** | **{registry['aira']['accuracy']:.3f}** |"
    )
    lines.append(
        f"| seconds (training + scoring, all sets) | | "
        f"{sum(theirs[k]['seconds'] for k in ('fake_1000', 'historical_50k', 'aira')):.1f} | "
        f"{sum(model_only[k]['seconds'] for k in ('fake_1000', 'historical_50k', 'aira')):.1f} | "
        f"{sum(registry[k]['seconds'] for k in ('fake_1000', 'historical_50k', 'aira')):.1f} |"
    )

    def aira(block: dict) -> str:
        a = block["aira"]
        return (
            f"{a['correct']:,} of {a['decisive_pairs']:,} right, {a['false_links']} false links, "
            f"{a['false_new']} matches made new, {a['decisive_to_review']} sent to review; Possible Match caught "
            f"{a['possible_match_caught']:.0%}"
        )

    body = "\n".join(
        [
            "`python -m bench.bench_linkage`: the matchers on the same data in the same run. **Splink default**: Splink "
            f"{theirs['splink_version']}'s models configured as its own examples configure them (`linkage/splink_default.py`), "
            "links at probability ≥ 0.5 (AIRA: link ≥ 0.9, review ≥ 0.5). **sotiem model, same operating point**: the "
            "registry's comparisons with weights trained (Splink EM) on each set's own records, links at the same "
            "probabilities. **sotiem registry rule**: what `identify_person` does — link at "
            f"{link_at:g} bits with a name that agrees and no different ID, review from {review_at:g} bits. The sets are "
            "English-language (no IDs in fake_1000 and historical_50k; the registry's sound-alike folds never fire); "
            "the registry rule is set for Vietnamese records with IDs, addresses and phones, so on sparse English data "
            "it links little by design.",
            "",
            *lines,
            "",
            f"- AIRA, Splink default: {aira(theirs)}.",
            f"- AIRA, sotiem model: {aira(model_only)}.",
            f"- AIRA, sotiem registry rule: {aira(registry)}.",
        ]
    )
    write_section("linkage", "Record linkage on public test sets (sotiem vs Splink's default models)", body)


if __name__ == "__main__":
    main()
