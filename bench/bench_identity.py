"""Identity benchmark: records-to-person accuracy of identify_person on synthetic data, against the truth.

    python -m bench.bench_identity [--persons 100000] [--seed 2021]

A fresh registry (SQLite) receives every record `sotiem synth` made for the population (records.csv and the paper
backlog, with the full error model) through `sotiem import`, exactly as a province would send them; then each
record's person is compared with the true person (truth_records.csv). Pairwise: a pair of records is a true
link when both are the same true person, a predicted link when both are on the same registry person.
Baseline in the same run: identity by national ID alone (the rule of issue 3: link on a valid ID held,
otherwise a new person), computed from the same records.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pairwise(predicted: dict[str, object], truth: dict[str, str]) -> dict[str, float]:
    """Pairwise precision and recall of a record -> cluster assignment, by counting (no pair is listed)."""

    def pairs(sizes: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in sizes.values())

    ids = [r for r in predicted if r in truth]
    both = pairs(Counter((predicted[r], truth[r]) for r in ids))
    pred = pairs(Counter(predicted[r] for r in ids))
    true = pairs(Counter(truth[r] for r in ids))
    precision = both / pred if pred else 1.0
    recall = both / true if true else 1.0
    return {
        "precision": precision,
        "recall": recall,
        "true_pairs": true,
        "predicted_pairs": pred,
        "correct_pairs": both,
        "records": len(ids),
    }


def child(synth: Path, workdir: Path) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sotiem.settings")
    django.setup()
    from django.core.management import call_command

    from sotiem.immunizations.imports import import_run_execute, import_run_start
    from sotiem.immunizations.ingest import Sender
    from sotiem.immunizations.models import Dose
    from sotiem.people.models import Person, ReviewCandidate
    from sotiem.places.services import site_import_row

    call_command("migrate", verbosity=0)
    with open(synth / "sites.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            site_import_row(values=row, actor="bench")
    combined = workdir / "all-records.csv"
    with open(combined, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        for i, name in enumerate(("records.csv", "backlog.csv")):
            with open(synth / name, encoding="utf-8") as fh:
                reader = csv.reader(fh)
                header = next(reader)
                if i == 0:
                    writer.writerow(header)
                writer.writerows(reader)
    run = import_run_start(path=combined, source="BENCH-ID")
    started = time.perf_counter()
    run = import_run_execute(
        run=run,
        path=combined,
        sender=Sender(source="BENCH-ID"),
        actor="bench",
        workers=max(1, (os.cpu_count() or 2) - 1),
    )
    seconds = time.perf_counter() - started
    survivor = dict(Person.objects.filter(status="merged").values_list("id", "merged_into_id"))
    assigned = {}
    for rid, pid in Dose.objects.filter(source="BENCH-ID").values_list("source_record_id", "person_id"):
        while pid in survivor:
            pid = survivor[pid]
        assigned[rid] = pid
    return {
        "seconds": seconds,
        "counts": run.counts,
        "assigned": assigned,
        "reviews": ReviewCandidate.objects.count(),
        "persons": Person.objects.count(),
    }


def id_only_baseline(synth: Path) -> dict[str, object]:
    """Issue 3's rule on the same records: a valid ID links, anything else is a new person."""
    sys.path.insert(0, str(ROOT))
    from sotiem.lib.ids import check_national_id

    out: dict[str, object] = {}
    for name in ("records.csv", "backlog.csv"):
        with open(synth / name, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                value = row["national_id"].strip()
                if value.isdigit() and len(value) in (8, 11):
                    value = "0" + value
                out[row["record_id"]] = (
                    value if value and check_national_id(value).valid else ("new", row["record_id"])
                )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=100000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(Path(args.child[0]), Path(args.child[1]))
        Path(args.child[1], "result.json").write_text(json.dumps(result, default=str))
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-identity-"))
    synth = ROOT / "var" / "bench" / f"synth-{args.persons}-seed{args.seed}"
    if not (synth / "summary.json").exists():
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sotiem",
                "synth",
                "--persons",
                str(args.persons),
                "--seed",
                str(args.seed),
                "--out",
                str(synth),
            ],
            check=True,
            cwd=ROOT,
        )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SOTIEM_VAR_DIR=str(workdir), DJANGO_SETTINGS_MODULE="sotiem.settings", PYTHONPATH=str(ROOT))
    subprocess.run(
        [sys.executable, "-m", "bench.bench_identity", "--child", str(synth), str(workdir)],
        env=env,
        check=True,
        cwd=ROOT,
    )
    result = json.loads((workdir / "result.json").read_text())
    truth: dict[str, str] = {}
    with open(synth / "truth_records.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[row["record_id"]] = row["person_key"]
    ours = pairwise(result["assigned"], truth)
    base = pairwise(id_only_baseline(synth), truth)
    wrong = _false_merges(result["assigned"], truth, synth)
    print(
        json.dumps(
            {
                "ours": ours,
                "baseline": base,
                "false_merges": wrong,
                "seconds": result["seconds"],
                "reviews": result["reviews"],
                "persons": result["persons"],
            },
            indent=1,
        )
    )
    _write(args, result, ours, base, wrong)


def _false_merges(assigned: dict[str, object], truth: dict[str, str], synth: Path) -> dict[str, int]:
    """Registry persons holding records of two or more true persons, by what those persons share."""
    people: dict[str, dict[str, str]] = {}
    with open(synth / "truth_persons.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            people[row["person_key"]] = row
    members: dict[object, set[str]] = defaultdict(set)
    for rid, pid in assigned.items():
        if rid in truth:
            members[pid].add(truth[rid])
    kinds: Counter = Counter()
    for keys in members.values():
        if len(keys) < 2:
            continue
        rows = [people[k] for k in sorted(keys)]
        a, b = rows[0], rows[1]
        same_phone = a["household_phone"] == b["household_phone"]
        if (
            same_phone
            and a["birth_date"] == b["birth_date"]
            and a["full_name"].split()[-1] != b["full_name"].split()[-1]
        ):
            kinds["twins"] += 1
        elif same_phone and a["full_name"] != b["full_name"] and a["birth_date"] != b["birth_date"]:
            kinds["share_only_a_phone"] += 1
        else:
            kinds["other"] += 1
    return dict(kinds)


def _write(args: argparse.Namespace, result: dict, ours: dict, base: dict, wrong: dict[str, int]) -> None:
    from bench.report import write_section

    counts = result["counts"]
    lines = [
        "| identity rule | records | pairwise precision | pairwise recall | true pairs | predicted pairs |",
        "|---|---:|---:|---:|---:|---:|",
        f"| sotiem matching (model `{_model_version()}`) | {ours['records']:,} | {ours['precision']:.4f} | "
        f"{ours['recall']:.4f} | {ours['true_pairs']:,} | {ours['predicted_pairs']:,} |",
        f"| baseline: valid national ID only (issue 3) | {base['records']:,} | {base['precision']:.4f} | "
        f"{base['recall']:.4f} | {base['true_pairs']:,} | {base['predicted_pairs']:,} |",
    ]
    met = ours["precision"] >= 0.995 and ours["recall"] >= 0.98
    body = "\n".join(
        [
            f"`python -m bench.bench_identity --persons {args.persons} --seed {args.seed}`: every record `sotiem synth` "
            f"made for {args.persons:,} persons (seed {args.seed}, full error model, paper backlog included) sent "
            "through `sotiem import` into an empty registry (SQLite); each record's person compared with the truth. "
            "The model was trained on another seed's population.",
            "",
            *lines,
            "",
            f"- Import with matching: {result['seconds']:.1f} s ({ours['records'] / result['seconds']:,.0f} records/s); "
            f"results {counts}; {result['persons']:,} persons created; {result['reviews']:,} pairs sent to review.",
            f"- Registry persons holding two or more true persons: {sum(wrong.values())} ({wrong or 'none'}); twins "
            f"merged: {wrong.get('twins', 0)}; persons sharing only a phone merged: {wrong.get('share_only_a_phone', 0)}.",
            f"- Target precision ≥ 0.995 and recall ≥ 0.98: **{'met' if met else 'not met'}**.",
        ]
    )
    write_section("identity", "Identity matching on synthetic records (`identify_person`)", body)


def _model_version() -> str:
    data = json.loads((ROOT / "sotiem" / "people" / "data" / "match_model.json").read_text(encoding="utf-8"))
    return str(data["version"])


if __name__ == "__main__":
    main()
