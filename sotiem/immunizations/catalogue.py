"""The vaccine catalogue as data: loaded from the domain CSV (copied from shared/domain) by a migration."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sotiem.lib.domain import vaccines as vaccine_rows
from sotiem.lib.names import name_key

# What people write on tally sheets and spreadsheets for each product (keys are compared diacritics-free).
ALIASES: dict[str, list[str]] = {
    "AZ": ["astrazeneca", "astra zeneca", "astra", "az", "vaxzevria", "covishield", "azd1222"],
    "SPUTNIK_V": ["sputnik v", "sputnik", "gam-covid-vac", "sputnikv"],
    "VEROCELL": ["vero cell", "verocell", "sinopharm", "bbibp", "bbibp-corv", "vero"],
    "PFIZER": ["pfizer", "comirnaty", "biontech", "pfizer-biontech", "pfizer biontech", "bnt162b2"],
    "MODERNA": ["moderna", "spikevax", "mrna-1273"],
    "JANSSEN": ["janssen", "johnson & johnson", "johnson", "j&j", "jnj"],
    "HAYATVAX": ["hayat-vax", "hayat vax", "hayatvax", "hayat"],
    "ABDALA": ["abdala", "cigb-66"],
}


def _int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    value = str(value or "").strip()
    return int(value) if value.isdigit() else None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def catalogue_rows() -> list[dict[str, Any]]:
    """The catalogue as model field values, one dict per vaccine."""
    rows = []
    for row in vaccine_rows():
        code = row["key"]
        eu = (row.get("eu_dcc_mp_code") or "").strip()  # None when the CSV holds only a note
        rows.append(
            {
                "code": code,
                "name": row["vn_common_name"],
                "product": row["product"],
                "manufacturer": row["manufacturer"],
                "platform": row.get("platform") or "",
                "approved_on": _date(row.get("vn_conditional_approval_date")),
                "primary_doses": _int(row.get("primary_series_doses")) or 1,
                "min_interval_days": _int(row.get("min_interval_days")),
                "max_interval_days": _int(row.get("max_recommended_interval_days")),
                "icd11_code": row.get("icd11_who_ddcc") or "",
                "eu_product_code": "" if eu.startswith("(") else eu,
                "aliases": sorted(
                    {name_key(a) for a in [*ALIASES.get(code, []), row["vn_common_name"], code]}
                ),
            }
        )
    return rows


def load_catalogue(Vaccine: Any) -> int:  # noqa: N803 (a model class, historical in migrations)
    """Create or update every catalogue vaccine; returns how many rows were written."""
    for values in catalogue_rows():
        Vaccine.objects.update_or_create(code=values["code"], defaults=values)
    return len(catalogue_rows())
