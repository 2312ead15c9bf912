"""Pandera schemas, one module per extract. `EXTRACTS` lists the quarterly case-level
extracts (pipelines/ingest/extracts.py); the aggregate returns (DSG, NEET, school census)
are registered with their loader in pipelines/ingest/returns.py."""

from schemas.advice_requests import ADVICE_REQUESTS
from schemas.annual_reviews import ANNUAL_REVIEWS
from schemas.children_missing_education import CHILDREN_MISSING_EDUCATION
from schemas.ehc_requests import EHC_REQUESTS
from schemas.exclusions import EXCLUSIONS
from schemas.extract_spec import ExtractSpec

EXTRACTS: dict[str, ExtractSpec] = {
    spec.name: spec
    for spec in (EHC_REQUESTS, ADVICE_REQUESTS, ANNUAL_REVIEWS, EXCLUSIONS, CHILDREN_MISSING_EDUCATION)
}

__all__ = [
    "EXTRACTS", "ExtractSpec", "EHC_REQUESTS", "ADVICE_REQUESTS", "ANNUAL_REVIEWS", "EXCLUSIONS",
    "CHILDREN_MISSING_EDUCATION",
]
