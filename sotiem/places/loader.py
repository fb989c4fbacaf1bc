"""Loads both eras of administrative units from the offline data of `vietnamadminunits`.

Only the package's data files are read (its SQLite dataset and converter JSON); its `convert_address` is
never called, because for split wards it geocodes over the network.
The "legacy" era in that package is the state of January 2025 (before the July 2025 reform), which we store
as the 2021 era: province codes and nearly all communes are those of 2021 (see docs/places.md).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from importlib import resources
from typing import Any

# The package already calls Huế "Thành phố Huế" (from 2025-01-01); in 2021 it was a province.
NAME_FIXES_2021 = {"46": ("Thừa Thiên Huế", "Tỉnh Thừa Thiên Huế")}


def _data_path(name: str) -> str:
    return str(resources.files("vietnamadminunits") / "data" / name)


def _rows(sql: str) -> Iterator[sqlite3.Row]:
    con = sqlite3.connect(f"file:{_data_path('dataset.db')}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        yield from con.execute(sql)
    finally:
        con.close()


def load_admin_units(AdminUnit: Any, UnitMapping: Any) -> dict[str, int]:  # noqa: N803 (model classes)
    """Create every unit of both eras and the 2021→2025 mapping; idempotent (skips when units exist)."""
    if AdminUnit.objects.exists():
        return {"skipped": AdminUnit.objects.count()}

    units: dict[tuple[str, str, str], Any] = {}

    def add(
        era: str, level: str, code: str, name: str, full_name: str, key: str, parent: Any, prov: str
    ) -> Any:
        unit = AdminUnit(
            era=era,
            level=level,
            code=code,
            name=name,
            full_name=full_name,
            key=key,
            parent=parent,
            province_code=prov,
        )
        units[(era, level, code)] = unit
        return unit

    legacy = list(_rows("SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode"))
    for row in legacy:
        pc = row["provinceCode"]
        if ("2021", "province", pc) not in units:
            name, full = NAME_FIXES_2021.get(pc, (row["provinceShort"], row["province"]))
            add("2021", "province", pc, name, full, row["provinceShortKey"], None, pc)
    AdminUnit.objects.bulk_create([u for k, u in units.items() if k[1] == "province"], batch_size=1000)
    for row in legacy:
        pc, dc = row["provinceCode"], row["districtCode"]
        if ("2021", "district", dc) not in units:
            add(
                "2021",
                "district",
                dc,
                row["districtShort"],
                row["district"],
                row["districtShortKey"],
                units[("2021", "province", pc)],
                pc,
            )
    AdminUnit.objects.bulk_create([u for k, u in units.items() if k[1] == "district"], batch_size=1000)
    old_by_key: dict[str, Any] = {}
    for row in legacy:
        wc = row["wardCode"]
        if not wc:
            continue  # island districts (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo) had no communes
        unit = add(
            "2021",
            "commune",
            wc,
            row["wardShort"],
            row["ward"],
            row["wardShortKey"],
            units[("2021", "district", row["districtCode"])],
            row["provinceCode"],
        )
        old_by_key[f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"] = unit
    AdminUnit.objects.bulk_create(
        [u for k, u in units.items() if k[0] == "2021" and k[1] == "commune"], batch_size=1000
    )

    new_rows = list(_rows("SELECT * FROM admin_units ORDER BY provinceCode, wardCode"))
    prov_key_to_code: dict[str, str] = {}
    for row in new_rows:
        pc = row["provinceCode"]
        prov_key_to_code[row["provinceKey"]] = pc
        if ("2025", "province", pc) not in units:
            add(
                "2025",
                "province",
                pc,
                row["provinceShort"],
                row["province"],
                row["provinceShortKey"],
                None,
                pc,
            )
    AdminUnit.objects.bulk_create([u for k, u in units.items() if k[0] == "2025" and k[1] == "province"])
    new_by_key: dict[tuple[str, str], Any] = {}
    for row in new_rows:
        unit = add(
            "2025",
            "commune",
            row["wardCode"],
            row["wardShort"],
            row["ward"],
            row["wardShortKey"],
            units[("2025", "province", row["provinceCode"])],
            row["provinceCode"],
        )
        new_by_key[(row["provinceKey"], row["wardKey"])] = unit
    AdminUnit.objects.bulk_create(
        [u for k, u in units.items() if k[0] == "2025" and k[1] == "commune"], batch_size=1000
    )

    with open(_data_path("converter_2025.json"), encoding="utf-8") as fh:
        conv = json.load(fh)
    mappings: dict[tuple[int, int], Any] = {}
    old_prov_by_key = {f"{r['provinceKey']}": r["provinceCode"] for r in legacy}
    for new_prov_key, old_prov_keys in conv["DICT_PROVINCE"].items():
        new = units[("2025", "province", prov_key_to_code[new_prov_key])]
        for old_key in old_prov_keys:
            old = units[("2021", "province", old_prov_by_key[old_key])]
            mappings[(old.pk, new.pk)] = UnitMapping(old=old, new=new, is_default=True)
    for new_prov_key, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward_key, old_keys in wards.items():
            new = new_by_key.get((new_prov_key, new_ward_key))
            for old_key in old_keys:
                old = old_by_key.get(old_key)
                if new is not None and old is not None:
                    mappings[(old.pk, new.pk)] = UnitMapping(old=old, new=new, is_default=True)
    for new_prov_key, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, targets in olds.items():
            old = old_by_key.get(old_key)
            for target in targets:
                new = new_by_key.get((new_prov_key, target["newWardKey"]))
                if new is not None and old is not None:
                    mappings[(old.pk, new.pk)] = UnitMapping(
                        old=old, new=new, is_default=bool(target["isDefaultNewWard"])
                    )
    UnitMapping.objects.bulk_create(list(mappings.values()), batch_size=2000)
    return {"units": len(units), "mappings": len(mappings)}


def unload_admin_units(AdminUnit: Any, UnitMapping: Any) -> None:  # noqa: N803
    """Reverse of load_admin_units (only possible while nothing refers to the units)."""
    UnitMapping.objects.all().delete()
    for level in ("commune", "district", "province"):
        AdminUnit.objects.filter(level=level).delete()
