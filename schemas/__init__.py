"""Pandera schemas, one module per local extract; `EXTRACTS` lists them all."""

from schemas.advice_requests import ADVICE_REQUESTS
from schemas.ehc_requests import EHC_REQUESTS
from schemas.extract_spec import ExtractSpec

EXTRACTS: dict[str, ExtractSpec] = {spec.name: spec for spec in (EHC_REQUESTS, ADVICE_REQUESTS)}

__all__ = ["EXTRACTS", "ExtractSpec", "EHC_REQUESTS", "ADVICE_REQUESTS"]
