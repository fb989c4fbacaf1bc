"""Reference tables of the synthetic population: weights, name lists, the age pyramid, vaccine timing.

Everything here is a constant or is derived once from the CSVs in `sotiem/lib/data/` (through
`sotiem.lib.domain`). The figures that are assumptions, not data, are listed in docs/synth.md.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from itertools import accumulate

from sotiem.lib import domain

# Campaign window: the first COVID-19 dose in Vietnam was given on 8 March 2021; we stop at the end of 2022.
CAMPAIGN_START = dt.date(2021, 3, 8).toordinal()
CAMPAIGN_END = dt.date(2022, 12, 31).toordinal()
# Ages are drawn "as of" this day.
REFERENCE_DAY = dt.date(2021, 7, 1).toordinal()
# Day tables cover every birth date and every dose date.
FIRST_DAY = dt.date(1928, 1, 1).toordinal()
LAST_DAY = dt.date(2023, 12, 31).toordinal()


def _day(y: int, m: int, d: int) -> int:
    return dt.date(y, m, d).toordinal()


# Approximate population in thousands (2019 census, rounded), by 2021 GSO province code. Only the ratios are
# used, to spread the synthetic population over the 63 provinces.
PROVINCE_POPULATION = {
    "01": 8250,
    "02": 860,
    "04": 530,
    "06": 320,
    "08": 790,
    "10": 740,
    "11": 610,
    "12": 460,
    "14": 1250,
    "15": 830,
    "17": 860,
    "19": 1290,
    "20": 790,
    "22": 1340,
    "24": 1840,
    "25": 1470,
    "26": 1170,
    "27": 1370,
    "30": 1890,
    "31": 2030,
    "33": 1250,
    "34": 1860,
    "35": 850,
    "36": 1780,
    "37": 980,
    "38": 3640,
    "40": 3330,
    "42": 1290,
    "44": 900,
    "45": 630,
    "46": 1130,
    "48": 1140,
    "49": 1500,
    "51": 1230,
    "52": 1490,
    "54": 870,
    "56": 1230,
    "58": 590,
    "60": 1230,
    "62": 540,
    "64": 1510,
    "66": 1870,
    "67": 620,
    "68": 1300,
    "70": 990,
    "72": 1170,
    "74": 2460,
    "75": 3100,
    "77": 1150,
    "79": 9170,
    "80": 1690,
    "82": 1760,
    "83": 1290,
    "84": 1010,
    "86": 1020,
    "87": 1600,
    "89": 1910,
    "91": 1720,
    "92": 1240,
    "93": 730,
    "94": 1200,
    "95": 910,
    "96": 1190,
}

# Where the 2021 campaign started early and hard (the Delta wave of July–September 2021).
EARLY_PROVINCES = frozenset({"79", "74", "75", "80", "01", "48", "27", "24"})
# Provinces whose residents were often born elsewhere (migrant destinations).
MIGRANT_PROVINCES = frozenset({"79", "74", "75", "01", "48", "27", "77"})
INDUSTRIAL_PROVINCES = frozenset(
    {"01", "22", "24", "26", "27", "30", "31", "33", "48", "72", "74", "75", "77", "79", "80", "92"}
)

# Share of households that are of a minority ethnic group, and which naming pattern they use.
NORTH_MOUNTAINS = frozenset({"02", "04", "06", "08", "10", "11", "12", "14", "15", "17", "20"})
HIGHLANDS = frozenset({"62", "64", "66", "67"})
KHMER = frozenset({"84", "89", "91", "94", "95"})


def minority_rate(province: str) -> tuple[float, str]:
    """(share of minority households, naming pattern) for a 2021 province; the rates are assumptions."""
    if province in NORTH_MOUNTAINS:
        return 0.18, "north"
    if province in HIGHLANDS:
        return 0.15, "highlands"
    if province in KHMER:
        return 0.09, "khmer"
    return 0.003, "north"


def region(province: str) -> str:
    code = int(province)
    if code < 38:
        return "north"
    if code < 70:
        return "centre"
    return "south"


# Vietnam's 2021 age pyramid, share of population (%) per 5-year band 0–4 ... 85–90 (GSO estimates, rounded).
AGE_BANDS = [7.9, 8.3, 7.6, 6.9, 7.0, 8.0, 8.4, 8.0, 7.3, 6.6, 6.0, 5.3, 4.5, 3.3, 2.0, 1.3, 0.9, 0.7]
MAX_AGE = 90
AGE_CUM = list(accumulate([AGE_BANDS[min(age // 5, len(AGE_BANDS) - 1)] / 5 for age in range(MAX_AGE + 1)]))


def age_between(u: float, lo: int, hi: int) -> int:
    """The age in [lo, hi] at quantile `u` of the pyramid restricted to that range."""
    lo = max(lo, 0)
    hi = min(hi, MAX_AGE)
    if hi <= lo:
        return lo
    base = AGE_CUM[lo - 1] if lo else 0.0
    return min(bisect_left(AGE_CUM, base + u * (AGE_CUM[hi] - base)), hi)


# ---- names -------------------------------------------------------------------------------------------------

# Surnames that mark a northern minority family here; they are kept out of the Kinh list.
MINORITY_SURNAMES = frozenset({"Nông", "Bế", "Lò", "Lục", "Ma", "Sầm", "Mông", "Vi", "Vy", "Lăng"})
_ALIAS_SPLIT = {  # region -> (share of Hoàng in "Hoàng/Huỳnh", share of Vũ in "Vũ/Võ")
    "north": (0.95, 0.9),
    "centre": (0.6, 0.3),
    "south": (0.25, 0.2),
}


def surname_table(region_name: str) -> tuple[list[str], list[float]]:
    """Surnames with cumulative weights: the national estimate, with the long tail from the Đắk Lắk sample."""
    rows = domain.surnames()
    national = [(r["surname"], r["pct"]) for r in rows if r["source"] == "national_estimate"]
    names: list[str] = []
    weights: list[float] = []
    hoang, vu = _ALIAS_SPLIT[region_name]
    for name, pct in national:
        if name == "Hoàng/Huỳnh":
            names += ["Hoàng", "Huỳnh"]
            weights += [pct * hoang, pct * (1 - hoang)]
        elif name == "Vũ/Võ":
            names += ["Vũ", "Võ"]
            weights += [pct * vu, pct * (1 - vu)]
        else:
            names.append(name)
            weights.append(pct)
    covered = {"Hoàng", "Huỳnh", "Vũ", "Võ", *names}
    tail = [
        (r["surname"], r["pct"])
        for r in rows
        if r["source"] != "national_estimate"
        and r["surname"] not in covered
        and r["surname"] not in MINORITY_SURNAMES
    ]
    rest = max(100.0 - sum(weights), 1.0)
    tail_total = sum(p for _, p in tail) or 1.0
    for name, pct in tail:
        names.append(name)
        weights.append(rest * pct / tail_total)
    return names, list(accumulate(weights))


# Given names popular with people born before ~1980, mixed in for older cohorts (assumption).
OLDER_GIVEN = {
    "M": [
        "Hùng",
        "Dũng",
        "Thắng",
        "Hải",
        "Sơn",
        "Bình",
        "Thành",
        "Tâm",
        "Phúc",
        "Lợi",
        "Chiến",
        "Minh",
        "Tuấn",
        "Hòa",
        "Quang",
        "Thanh",
        "Hưng",
        "Vinh",
        "Toàn",
        "Dương",
    ],
    "F": [
        "Lan",
        "Hoa",
        "Mai",
        "Hồng",
        "Hương",
        "Nga",
        "Tuyết",
        "Loan",
        "Hạnh",
        "Liên",
        "Cúc",
        "Đào",
        "Thủy",
        "Hằng",
        "Yến",
        "Thu",
        "Bích",
        "Nhung",
        "Oanh",
        "Tâm",
    ],
}


def given_table(sex: str) -> tuple[list[str], list[float]]:
    rows = [r for r in domain.given_names() if r["sex"] == sex]
    return [r["given_name"] for r in rows], list(accumulate(r["pct"] for r in rows))


def _table(pairs: list[tuple[str, float]]) -> tuple[list[str], list[float]]:
    return [p[0] for p in pairs], list(accumulate(p[1] for p in pairs))


# First middle name by sex and birth cohort (weights are assumptions shaped by VIETNAM.md §5: Thị and Văn
# dominate older cohorts; Văn is under 3% for young men in the HCMC sample).
MIDDLE = {
    ("M", 0): _table(
        [
            ("Văn", 60),
            ("Đức", 6),
            ("Hữu", 6),
            ("Minh", 5),
            ("Quốc", 4),
            ("Công", 5),
            ("Thanh", 4),
            ("Xuân", 4),
            ("Ngọc", 3),
            ("Hồng", 2),
            ("Đình", 5),
            ("Bá", 2),
        ]
    ),
    ("M", 1): _table(
        [
            ("Văn", 30),
            ("Minh", 10),
            ("Đức", 8),
            ("Hữu", 6),
            ("Quốc", 6),
            ("Công", 6),
            ("Thanh", 6),
            ("Hoàng", 5),
            ("Xuân", 4),
            ("Ngọc", 4),
            ("Đình", 5),
            ("Tuấn", 3),
            ("Anh", 3),
        ]
    ),
    ("M", 2): _table(
        [
            ("Văn", 6),
            ("Minh", 16),
            ("Đức", 10),
            ("Quốc", 8),
            ("Hoàng", 8),
            ("Gia", 8),
            ("Bảo", 8),
            ("Thanh", 6),
            ("Công", 5),
            ("Hữu", 5),
            ("Tuấn", 4),
            ("Anh", 5),
            ("Nhật", 5),
            ("Đăng", 4),
        ]
    ),
    ("F", 0): _table(
        [
            ("Thị", 80),
            ("Ngọc", 4),
            ("Thu", 3),
            ("Thanh", 3),
            ("Kim", 3),
            ("Hồng", 3),
            ("Xuân", 2),
            ("Minh", 1),
            ("Phương", 1),
        ]
    ),
    ("F", 1): _table(
        [
            ("Thị", 55),
            ("Ngọc", 8),
            ("Thu", 6),
            ("Thanh", 6),
            ("Kim", 5),
            ("Phương", 4),
            ("Hồng", 4),
            ("Xuân", 3),
            ("Minh", 3),
            ("Mai", 3),
            ("Bích", 3),
        ]
    ),
    ("F", 2): _table(
        [
            ("Thị", 22),
            ("Ngọc", 14),
            ("Thu", 8),
            ("Phương", 8),
            ("Thanh", 6),
            ("Bảo", 7),
            ("Minh", 6),
            ("Kim", 5),
            ("Khánh", 5),
            ("Gia", 4),
            ("Hoàng", 3),
            ("Mai", 4),
            ("Diệu", 4),
            ("Quỳnh", 4),
        ]
    ),
}
SECOND_MIDDLE = {
    "M": ["Minh", "Hoàng", "Anh", "Quốc", "Đức", "Gia", "Bảo", "Thanh", "Tuấn", "Nhật", "Đăng", "Trung"],
    "F": [
        "Thu",
        "Thanh",
        "Ngọc",
        "Phương",
        "Minh",
        "Bảo",
        "Kim",
        "Hồng",
        "Mai",
        "Diệu",
        "Khánh",
        "Quỳnh",
        "Như",
        "Tường",
        "Thùy",
    ],
}
# Share of 4-word names (VIETNAM.md §5: women 64.6%, men 26.1%) and of 2-word names.
FOUR_WORDS = {"M": 0.26, "F": 0.65}
TWO_WORDS = 0.01


def cohort(birth_year: int) -> int:
    return 0 if birth_year < 1975 else (1 if birth_year < 1995 else 2)


# Minority naming patterns (VIETNAM.md §5; details are assumptions).
NORTH_MINORITY_SURNAMES = [
    "Nông",
    "Bế",
    "Lò",
    "Lục",
    "Hoàng",
    "Ma",
    "Sầm",
    "Vi",
    "Triệu",
    "Lường",
    "Quàng",
    "Cầm",
    "Hà",
    "Lương",
]
NORTH_MINORITY_GIVEN = {
    "M": ["Pâng", "Dền", "Sáng", "Páo", "Chiến", "Khìn", "Pó", "Thào", "Vảng", "Tủa"],
    "F": ["Dung", "Pằng", "Mỷ", "Xuân", "Sua", "Chá", "Mai", "Phùa", "Ín", "Lả"],
}
HMONG_SURNAMES = ["Giàng", "Thào", "Sùng", "Vàng", "Mùa", "Lý", "Hầu", "Ly"]
HMONG_MIDDLE = {"M": ["A", "Seo", "Mí", "Chứ", "A"], "F": ["Thị", "Thị", "Mỷ"]}
HMONG_GIVEN = {
    "M": ["Páo", "Sử", "Dế", "Chư", "Lử", "Pó", "Tủa", "Sình", "Chớ", "Dìa"],
    "F": ["Mỷ", "Dua", "Chá", "Sua", "Pà", "Mai", "Súa", "Dợ", "Ca", "Mỉ"],
}
EDE_CLANS = [
    "Niê",
    "Êban",
    "Mlô",
    "Ksor",
    "Byă",
    "Adrơng",
    "Buôn Yă",
    "Hdơk",
    "Kpă",
    "Rơ Châm",
    "Siu",
    "Rahlan",
]
EDE_GIVEN = {
    "M": ["Bih", "Blơ", "Nguôn", "Kông", "Jut", "Khoa", "Thông", "Dhăm", "Ngong", "Wai", "Yơk", "Sơn"],
    "F": ["Hen", "Bia", "Hoa", "Linh", "Nguyên", "Bliêng", "Duyên", "Zuê", "Mai", "Ja", "Hương"],
}
KHMER_SURNAMES = ["Thạch", "Sơn", "Danh", "Kim", "Lâm", "Lý", "Chau", "Thạch", "Sơn", "Danh"]
KHMER_GIVEN = {
    "M": ["Sô Phanh", "Sóc", "Sa Ron", "Khonl", "Rươne", "Sa Mết", "Phol", "Chanh Đa", "Út", "Sơn"],
    "F": ["Sa Rum", "Sa Ry", "Sô Phi", "Chanh Thi", "Ra Vi", "Kim Thoa", "Phương", "Sa Vân", "Mỹ"],
}

# ---- places ------------------------------------------------------------------------------------------------

STREETS = [
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Quang Trung",
    "Nguyễn Huệ",
    "Phan Bội Châu",
    "Hùng Vương",
    "Lê Duẩn",
    "Nguyễn Du",
    "Trần Phú",
    "Lê Lai",
    "Điện Biên Phủ",
    "Nguyễn Văn Cừ",
    "Phạm Văn Đồng",
    "Võ Thị Sáu",
    "Nguyễn Thị Minh Khai",
    "Lạc Long Quân",
    "Âu Cơ",
    "Cách Mạng Tháng Tám",
    "Ngô Quyền",
    "Lê Thánh Tông",
    "Phan Đình Phùng",
    "Bạch Đằng",
    "Tôn Đức Thắng",
    "Nguyễn Văn Linh",
    "Trường Chinh",
    "Lê Hồng Phong",
    "Chu Văn An",
    "Nguyễn Chí Thanh",
    "Hoàng Hoa Thám",
    "Lý Tự Trọng",
    "Phan Chu Trinh",
    "Trần Quốc Toản",
    "Kim Mã",
    "Nguyễn Tất Thành",
    "Ba Tháng Hai",
]
VILLAGES = [
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Trung",
    "Thượng",
    "Hạ",
    "An Lạc",
    "Phú Mỹ",
    "Tân Lập",
    "Hòa Bình",
    "Bình An",
    "Tân Phú",
    "Phú Thọ",
    "Đồng Tâm",
    "Thống Nhất",
    "Quyết Thắng",
    "Xuân Hòa",
    "Tiền Phong",
    "Hợp Tiến",
    "Mỹ Lộc",
    "Long Hưng",
    "Phước Lợi",
    "Thạnh Mỹ",
]
WORKPLACE_TRADES = [
    "May mặc",
    "Giày da",
    "Điện tử",
    "Thủy sản",
    "Chế biến gỗ",
    "Bao bì",
    "Cơ khí",
    "Thực phẩm",
    "Dệt may",
    "Linh kiện",
    "Nhựa",
    "Dược phẩm",
]
MOBILE_PLACES = [
    "Nhà văn hóa khu phố {n}",
    "Nhà thi đấu Trường THCS {w}",
    "Hội trường UBND {W}",
    "Trường Tiểu học {w}",
    "Sân Nhà văn hóa thôn {v}",
    "Trường THPT {w}",
    "Nhà văn hóa tổ dân phố {n}",
    "Chợ {w} (khu vực nhà lồng)",
    "Trạm Y tế {W} (điểm tăng cường)",
    "Nhà thi đấu đa năng {w}",
]
SCHOOL_PLACES = ["Nhà thi đấu {s}", "Hội trường {s}", "Phòng học tầng 1 {s}", "Thư viện {s}"]
WORKPLACE_PLACES = ["Nhà ăn {s}", "Hội trường {s}", "Phòng y tế {s}", "Sân {s}"]

# ---- phones ------------------------------------------------------------------------------------------------

# Carrier shares (assumption, roughly 2021 market shares) spread over each carrier's 2021 prefixes that
# `phonenumbers` accepts in full (052, 055, 087 and 089 are left out: partially valid or uncertain).
CARRIER_SHARE = {"Viettel": 0.54, "MobiFone": 0.21, "VinaPhone": 0.20, "Vietnamobile": 0.04, "Gmobile": 0.01}
CARRIER_PREFIXES = {
    "Viettel": ["032", "033", "034", "035", "036", "037", "038", "039", "086", "096", "097", "098"],
    "MobiFone": ["070", "076", "077", "078", "079", "090", "093"],
    "VinaPhone": ["081", "082", "083", "084", "085", "088", "091", "094"],
    "Vietnamobile": ["056", "058", "092"],
    "Gmobile": ["059"],
}


def phone_prefix_table() -> tuple[list[str], list[float]]:
    pairs = []
    for carrier, prefixes in CARRIER_PREFIXES.items():
        pairs += [(p, CARRIER_SHARE[carrier] / len(prefixes)) for p in prefixes]
    return _table(pairs)


def old_prefix_of() -> dict[str, str]:
    """10-digit prefix (`032`) -> the 11-digit prefix it replaced in 2018 (`0162`)."""
    return {new: old for old, new in domain.phone_prefix_map_2018().items()}


# Partial, UNVERIFIED CMND issuing prefixes (shared/domain cmnd9_prefix_partial_UNVERIFIED.csv, not shipped in
# sotiem/lib/data); provinces not listed use their own GSO code as a stand-in prefix.
CMND_PREFIX = {
    "01": "01",
    "79": "02",
    "31": "03",
    "14": "05",
    "02": "07",
    "22": "10",
    "17": "11",
    "27": "12",
    "24": "12",
    "25": "13",
    "30": "14",
    "33": "14",
    "35": "16",
    "42": "18",
    "44": "19",
    "45": "19",
    "49": "20",
    "51": "21",
    "52": "21",
    "54": "22",
    "56": "22",
    "64": "23",
    "58": "26",
    "60": "26",
    "77": "27",
    "74": "28",
    "70": "28",
    "72": "29",
    "83": "32",
    "89": "35",
    "93": "36",
    "94": "36",
    "95": "38",
    "06": "095",
}

# ---- vaccines ----------------------------------------------------------------------------------------------

VACCINES = ["AZ", "SPUTNIK_V", "VEROCELL", "PFIZER", "MODERNA", "JANSSEN", "HAYATVAX", "ABDALA"]
# Used only when the catalogue CSV lacks a vaccine (Abdala was added late): doses, min interval, approval.
_FALLBACK = {"ABDALA": (3, 14, "2021-09-17")}


def vaccine_facts() -> dict[str, tuple[int, int, int]]:
    """vaccine key -> (primary series doses, minimum interval in days, approval day ordinal)."""
    by_key = domain.vaccines_by_key()
    facts = {}
    for key in VACCINES:
        row = by_key.get(key)
        if row is None:
            doses, interval, approved = _FALLBACK[key]
        else:
            doses = row["primary_series_doses"]
            interval = row["min_interval_days"] or 0
            approved = row["vn_conditional_approval_date"]
        facts[key] = (doses, interval, dt.date.fromisoformat(approved).toordinal())
    return facts


COMMON_NAMES = {
    "AZ": ["AstraZeneca"],
    "SPUTNIK_V": ["Sputnik V"],
    "VEROCELL": ["Vero Cell", "Sinopharm"],
    "PFIZER": ["Pfizer"],
    "MODERNA": ["Moderna"],
    "JANSSEN": ["Janssen"],
    "HAYATVAX": ["Hayat-Vax"],
    "ABDALA": ["Abdala"],
}
LOT_FORMATS = {
    "AZ": "ABV{:04d}",
    "SPUTNIK_V": "I-{:05d}",
    "VEROCELL": "2021{:05d}",
    "PFIZER": "FK{:04d}",
    "MODERNA": "0{:05d}21A",
    "JANSSEN": "XD{:05d}",
    "HAYATVAX": "HB{:05d}",
    "ABDALA": "A{:04d}",
}

# Months of the campaign (index 0 = March 2021). First-dose weights per month, by programme (assumptions
# shaped after the published daily-dose curve: slow spring, Delta-wave surge, autumn peak).
MONTHS = [(2021 + (2 + i) // 12, (2 + i) % 12 + 1) for i in range(22)]
FIRST_DOSE_MONTH_WEIGHTS: dict[str, list[float]] = {
    "adult": [0.3, 0.5, 0.8, 1.5, 5, 12, 18, 20, 14, 8, 4, 2, 1.5, 1, 0.7, 0.5, 0.4, 0.3, 0.3, 0.2, 0.2, 0.2],
    "adult_early": [
        0.5,
        0.8,
        1.2,
        2.5,
        16,
        28,
        22,
        10,
        5,
        3,
        2,
        1.5,
        1,
        0.8,
        0.5,
        0.4,
        0.3,
        0.3,
        0.2,
        0.2,
        0.2,
        0.2,
    ],
    "teen": [0, 0, 0, 0, 0, 0, 0, 10, 35, 30, 12, 5, 3, 2, 1.5, 1, 1, 0.5, 0.5, 0.3, 0.3, 0.3],
    "child": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 30, 20, 15, 12, 8, 5, 3, 2],
}
# Programme start days: children 12–17 from 14 Oct 2021 (CV 8688), 5–11 from 14 Apr 2022.
PROGRAMME_START = {
    "adult": CAMPAIGN_START,
    "adult_early": CAMPAIGN_START,
    "teen": _day(2021, 10, 14),
    "child": _day(2022, 4, 14),
}


def _vaccine_weights(table: dict[str, float]) -> list[float]:
    return [table.get(v, 0.0) for v in VACCINES]


# First-dose product mix by period (assumption, after the delivery record: AZ first, then Moderna/Vero Cell in
# July, Pfizer growing from August, Abdala and Hayat-Vax from September).
VACCINE_MIX = [
    (_day(2021, 6, 1), _vaccine_weights({"AZ": 97, "SPUTNIK_V": 3})),
    (_day(2021, 7, 1), _vaccine_weights({"AZ": 85, "VEROCELL": 12, "SPUTNIK_V": 3})),
    (
        _day(2021, 8, 1),
        _vaccine_weights(
            {"AZ": 45, "MODERNA": 25, "VEROCELL": 25, "PFIZER": 3, "SPUTNIK_V": 1, "JANSSEN": 1}
        ),
    ),
    (
        _day(2021, 9, 1),
        _vaccine_weights(
            {"AZ": 35, "VEROCELL": 35, "PFIZER": 15, "MODERNA": 10, "JANSSEN": 2, "SPUTNIK_V": 1}
        ),
    ),
    (
        _day(2021, 10, 1),
        _vaccine_weights(
            {
                "AZ": 35,
                "VEROCELL": 25,
                "PFIZER": 20,
                "MODERNA": 10,
                "HAYATVAX": 4,
                "ABDALA": 3,
                "JANSSEN": 2,
                "SPUTNIK_V": 1,
            }
        ),
    ),
    (
        _day(2022, 1, 1),
        _vaccine_weights(
            {
                "AZ": 40,
                "PFIZER": 28,
                "VEROCELL": 15,
                "MODERNA": 8,
                "ABDALA": 4,
                "HAYATVAX": 3,
                "JANSSEN": 1,
                "SPUTNIK_V": 1,
            }
        ),
    ),
    (
        LAST_DAY,
        _vaccine_weights(
            {
                "AZ": 35,
                "PFIZER": 35,
                "VEROCELL": 10,
                "MODERNA": 12,
                "ABDALA": 3,
                "HAYATVAX": 2,
                "JANSSEN": 1,
                "SPUTNIK_V": 2,
            }
        ),
    ),
]

# Boosters: product by primary platform (assumption); mũi 3 ≥6 months after the primary series from
# December 2021, ≥3 months from 15 March 2022; mũi 4 ≥4 months after mũi 3 from May 2022.
BOOSTER_START = _day(2021, 12, 1)
BOOSTER_SHORTER_FROM = _day(2022, 3, 15)
FOURTH_START = _day(2022, 5, 15)
TEEN_BOOSTER_START = _day(2022, 7, 1)
MRNA_BOOSTER = _vaccine_weights({"PFIZER": 55, "MODERNA": 40, "AZ": 5})
OTHER_BOOSTER = _vaccine_weights({"PFIZER": 50, "MODERNA": 25, "AZ": 25})
FOURTH_BOOSTER = _vaccine_weights({"PFIZER": 50, "MODERNA": 35, "AZ": 15})
AZ_SHORTER_FROM = _day(2021, 9, 20)


def _day_tables() -> tuple[list[str], list[str], list[int], list[int], list[int]]:
    """ISO text, dd/mm/yyyy text, year, month and day of every day from FIRST_DAY to LAST_DAY."""
    iso, dmy, years, months, days = [], [], [], [], []
    for ordinal in range(FIRST_DAY, LAST_DAY + 1):
        d = dt.date.fromordinal(ordinal)
        iso.append(d.isoformat())
        dmy.append(f"{d.day:02d}/{d.month:02d}/{d.year}")
        years.append(d.year)
        months.append(d.month)
        days.append(d.day)
    return iso, dmy, years, months, days


ISO, DMY, YEAR_OF, MONTH_OF, DAY_OF = _day_tables()
