"""Vietnamese formats as the registry's pages write them, over Django's own (which it falls back to).

Django's Vietnamese formats group no digits (2002 people, where Vietnamese writes 2.002) and spell dates out
("Ngày 01 tháng 1 năm 1987") where every other page of the registry, and every paper card, writes 01/01/1987.
"""

NUMBER_GROUPING = 3
THOUSAND_SEPARATOR = "."
DECIMAL_SEPARATOR = ","
DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "H:i d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
