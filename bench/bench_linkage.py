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
    ours = ours_report(link_at=link_at, review_at=review_at)
    print(json.dumps({"ours": ours, "splink": theirs}, indent=1, default=str))

    def f(block: dict, key: str = "pairwise") -> str:
        s = block[key]
        return f"{s['precision']:.3f} / {s['recall']:.3f} / **{s['f1']:.3f}**"

    lines = ["| test set | measure | sotiem (P / R / F1 or accuracy) | s | Splink default (P / R / F1 or accuracy) | s |",
             "|---|---|---|---:|---|---:|",
             f"| fake_1000 (1,000 records) | pairwise vs clusters | {f(ours['fake_1000'])} | "
             f"{ours['fake_1000']['seconds']:.1f} | {f(theirs['fake_1000'])} | {theirs['fake_1000']['seconds']:.1f} |",
             f"| fake_1000 | vs clerical labels | {f(ours['fake_1000'], 'clerical_labels')} | | "
             f"{f(theirs['fake_1000'], 'clerical_labels')} | |",
             f"| historical_50k (50,578 records) | pairwise vs clusters | {f(ours['historical_50k'])} | "
             f"{ours['historical_50k']['seconds']:.1f} | {f(theirs['historical_50k'])} | "
             f"{theirs['historical_50k']['seconds']:.1f} |",
             f"| AIRA pairs (2,841) | accuracy on Match / Not a Match | **{ours['aira']['accuracy']:.3f}** | "
             f"{ours['aira']['seconds']:.1f} | **{theirs['aira']['accuracy']:.3f}** | {theirs['aira']['seconds']:.1f} |"]
    body = "\n".join([
        "`python -m bench.bench_linkage`: both matchers on the same data in the same run. Splink "
        f"{theirs['splink_version']}'s models are configured as its own examples configure them and link at "
        "probability ≥ 0.5; ours uses the registry's comparisons and link rule (link weight "
        f"{link_at:g}, name must agree, no different ID) with weights trained on each set's own records. The sets "
        "are English-language; ours is built for Vietnamese names (its sound-alike folds never fire here).", "",
        *lines, "",
        f"- AIRA details, ours: {ours['aira']}",
        f"- AIRA details, Splink: { {k: v for k, v in theirs['aira'].items() if k != 'seconds'} }",
    ])
    write_section("linkage", "Record linkage on public test sets (sotiem vs Splink's default models)", body)


if __name__ == "__main__":
    main()
