"""Which key pseudonymises identifiers: the configured secret, or the demo key for the demo.

A run on real extracts without a configured key refuses to start. Only when every file in
the drop zone is a synthetic sample file (named *synthetic*) is the public demo key used.
"""

from __future__ import annotations

from pipelines.ingest.files import list_extract_files
from pipelines.settings import DEMO_PSEUDONYMISATION_KEY, Settings, SettingsError
from schemas import EXTRACTS


def only_synthetic_extracts(settings: Settings) -> bool:
    files = [path for name in EXTRACTS for path in list_extract_files(settings.raw_dir / name)]
    return all("synthetic" in path.name.lower() for path in files)


def pseudonymisation_key(settings: Settings) -> str:
    if settings.pseudonymisation_key:
        return settings.pseudonymisation_key
    if only_synthetic_extracts(settings):
        return DEMO_PSEUDONYMISATION_KEY
    raise SettingsError(
        "No pseudonymisation key and the drop zone holds real extracts: set "
        "SENDKPI_PSEUDONYMISATION_KEY or SENDKPI_PSEUDONYMISATION_KEY_FILE (outside the repository)."
    )
