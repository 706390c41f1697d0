"""The reference files shipped inside the package are the ones of shared/reference.

The loaders read the package's copies (``SOMS_REFERENCE_DIR``) so that an installation does not
depend on the shared tree; where that tree is beside the checkout, the copies must not drift.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

SHARED = Path(settings.BASE_DIR).parent / "shared" / "reference"
PACKAGED = Path(settings.PACKAGE_DIR) / "reference" / "data"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared/reference is not present")

# Files the loaders read: they must ship with the package whatever else is there.
LOADED = [
    "catalogue-v1.csv",
    "country-groups.csv",
    "demonstration-cities.csv",
    "published-national-figures.csv",
    "regions.csv",
]


@pytest.mark.parametrize("name", LOADED)
def test_files_the_loaders_read_ship_with_the_package(name):
    assert (PACKAGED / name).is_file()


@needs_shared
@pytest.mark.parametrize("name", sorted(p.name for p in PACKAGED.iterdir() if p.is_file()))
def test_packaged_copy_is_byte_identical_to_shared(name):
    shared = SHARED / name
    assert shared.is_file(), f"{name} is shipped but not in shared/reference"
    assert (PACKAGED / name).read_bytes() == shared.read_bytes(), (
        f"soms/reference/data/{name} differs from shared/reference/{name}: copy it again"
    )


@needs_shared
def test_every_shared_table_ships_with_the_package():
    shared = {p.name for p in SHARED.glob("*.csv")}
    packaged = {p.name for p in PACKAGED.glob("*.csv")}
    assert shared <= packaged
