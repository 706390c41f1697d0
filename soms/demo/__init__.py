"""``soms demo``: a realistic, reproducible demo dataset built from a seed.

Not a Django app (it has no models): a library that plans a dataset of enterprises, officials,
certificates and rates (:mod:`~soms.demo.planning`) and two years of their filings and review
(:mod:`~soms.demo.activity`), calibrated on the published national figures
(:mod:`~soms.demo.calibration`), and writes it through the service functions
(:mod:`~soms.demo.writing`, :mod:`~soms.demo.replay`), so that the demo's audit trail is the one
real use would leave.
"""

from soms.demo.activity import DEFAULT_MONTHS
from soms.demo.calibration import Calibration, calibration
from soms.demo.logins import DEMO_PASSWORD, Login, login_table, logins
from soms.demo.planning import DEFAULT_COUNT, DEFAULT_SEED, DemoState, PlannedEnterprise, plan
from soms.demo.replay import FilingsReport, filings_exist
from soms.demo.writing import BuildReport, build, demo_exists, needs_build

__all__ = [
    "DEFAULT_COUNT",
    "DEFAULT_MONTHS",
    "DEFAULT_SEED",
    "DEMO_PASSWORD",
    "BuildReport",
    "Calibration",
    "DemoState",
    "FilingsReport",
    "Login",
    "PlannedEnterprise",
    "build",
    "calibration",
    "demo_exists",
    "filings_exist",
    "login_table",
    "logins",
    "needs_build",
    "plan",
]
