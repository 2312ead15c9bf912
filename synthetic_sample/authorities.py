"""The fictional authorities of the benchmark sample: codes, regions, years of operation and
the home authority's statistical neighbours (old codes 950-999 are unused by real authorities)."""

from __future__ import annotations

import numpy as np
import pandas as pd

# The 9 real English regions (codes and names as DfE publishes them). region_ind is the
# statistical-neighbour file's region number (alphabetical order of the region names).
REGIONS = {
    "E12000001": ("North East", 4),
    "E12000002": ("North West", 5),
    "E12000003": ("Yorkshire and The Humber", 9),
    "E12000004": ("East Midlands", 1),
    "E12000005": ("West Midlands", 8),
    "E12000006": ("East of England", 2),
    "E12000007": ("London", 3),
    "E12000008": ("South East", 6),
    "E12000009": ("South West", 7),
}

# Old codes 950-999 and new codes E060099xx / E06990xxx are unused by real authorities.
TERMINATED_LA = "951"  # abolished 31 March 2021 ...
NEW_LA = "952"  # ... and replaced by this one from 1 April 2021, like real boundary changes
UNAVAILABLE_NEIGHBOUR = ("971", 2022)  # a home neighbour with no published values that year
TIED_PAIR = ("969", "970", 2023)  # the second reports exactly twice the first: equal percentages
CONFIDENTIAL_CELLS = [("955", 2021, "requests_withdrawn"), ("993", 2022, "requests_withdrawn")]

_LA_NAMES = {
    "E12000001": {"953": "Brackenfell", "954": "Saltmoor Bay", "955": "Ironwick"},
    "E12000002": {
        "956": "Mereholt",
        "957": "Fellbridge",
        "958": "Cotton Lees",
        "959": "Ravensgarth",
        "960": "Duneport",
    },
    "E12000003": {"961": "Wolderby", "962": "Stonedale Vale", "963": "Millthorpe Edge", "964": "Kestrel Wold"},
    "E12000004": {"965": "Trentholme", "966": "Lindenfield", "967": "Peakhallow", "968": "Fosseby"},
    "E12000005": {
        "951": "Old Mercian Shire",
        "952": "Mercian Forest",
        "969": "Brindlecote",
        "970": "Foxley Heath",
        "971": "Ashgrove Marches",
        "972": "Hollowford",
        "990": "Wyvern Vale",
    },
    "E12000006": {"974": "Fenmarsh", "975": "Broadwater Fen", "976": "Eastlea Downs", "977": "Cressing Heath"},
    "E12000007": {
        "978": "Riverside Wharf",
        "979": "North Ashby Green",
        "980": "Kingsgate Park",
        "981": "Hollow Lane",
        "982": "Thamesreach",
        "983": "St Aldric",
    },
    "E12000008": {
        "984": "Chalkdown",
        "985": "Wealdbridge",
        "986": "Downshire Vale",
        "987": "Harbourside Sound",
        "988": "Beechwood Forest",
    },
    "E12000009": {"989": "Moorcombe", "991": "Tamarleigh", "992": "Granite Point", "993": "Cider Vale"},
}

# The home authority's 10 statistical neighbours, closest first: includes the authority new in
# 2021 (no 2019-2020 rows) and the one with no values in 2022, so neighbour counts vary.
HOME_NEIGHBOURS = ["969", "952", "971", "970", "972", "965", "966", "967", "989", "991"]
HOME_NEIGHBOUR_BANDS = ["Very close"] * 4 + ["Close "] * 4 + ["Somewhat close"] * 2


def fictional_authorities() -> pd.DataFrame:
    """All fictional authorities with codes, region and years of operation."""
    rows = [(old, f"{name} (synthetic)", region) for region, names in _LA_NAMES.items() for old, name in names.items()]
    las = pd.DataFrame(rows, columns=["old_la_code", "la_name", "region_code"])
    terminated = las["old_la_code"] == TERMINATED_LA
    las["new_la_code"] = np.where(terminated, "E06990" + las["old_la_code"], "E06009" + las["old_la_code"])
    las["region_name"] = las["region_code"].map(lambda code: REGIONS[code][0])
    las["first_year"] = np.where(las["old_la_code"] == NEW_LA, 2021, 2009)
    las["last_year"] = np.where(terminated, 2020, 9999)
    return las.sort_values(["region_code", "old_la_code"], ignore_index=True)
