"""One declarative contract per input (schemas/contract.py), one module per input.

`EXTRACTS`: the quarterly case-level extracts (one folder each, the quarter in the file name);
`RETURN_FOLDERS`: the aggregate returns (DSG, NEET, school census), each folder holding one or
more layouts recognised by their header; `CONTRACTS`: every contract by name.
"""

from schemas.advice_requests import ADVICE_REQUESTS
from schemas.annual_reviews import ANNUAL_REVIEWS
from schemas.children_missing_education import CHILDREN_MISSING_EDUCATION
from schemas.contract import Contract, ReturnFolder
from schemas.dsg_balances import DSG_BALANCES
from schemas.dsg_monitoring import DSG_MONITORING
from schemas.ehc_requests import EHC_REQUESTS
from schemas.exclusions import EXCLUSIONS
from schemas.neet import NEET
from schemas.school_census import SCHOOL_CENSUS

EXTRACTS: dict[str, Contract] = {
    contract.name: contract
    for contract in (EHC_REQUESTS, ADVICE_REQUESTS, ANNUAL_REVIEWS, EXCLUSIONS, CHILDREN_MISSING_EDUCATION)
}

DSG_FOLDER = ReturnFolder("dsg", "DSG monitoring or balances", (DSG_MONITORING, DSG_BALANCES))
NEET_FOLDER = ReturnFolder("neet", "NEET 16-17 monthly counts", (NEET,))
SCHOOL_CENSUS_FOLDER = ReturnFolder("school_census", "school census headcounts", (SCHOOL_CENSUS,))
RETURN_FOLDERS = (DSG_FOLDER, NEET_FOLDER, SCHOOL_CENSUS_FOLDER)

CONTRACTS: dict[str, Contract] = {
    **EXTRACTS,
    **{layout.name: layout for folder in RETURN_FOLDERS for layout in folder.layouts},
}

__all__ = [
    "CONTRACTS",
    "EXTRACTS",
    "RETURN_FOLDERS",
    "Contract",
    "ReturnFolder",
    "EHC_REQUESTS",
    "ADVICE_REQUESTS",
    "ANNUAL_REVIEWS",
    "EXCLUSIONS",
    "CHILDREN_MISSING_EDUCATION",
    "NEET",
    "SCHOOL_CENSUS",
    "DSG_MONITORING",
    "DSG_BALANCES",
]
