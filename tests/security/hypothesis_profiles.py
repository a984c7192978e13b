"""Hypothesis settings for the security property tests: CI-sized by default, bigger on request.

COOPSURVEY_HYPOTHESIS_PROFILE=thorough runs ten times as many examples. The profiles are applied
per test (``@settings(parent=PROFILE)``), so other test modules keep Hypothesis' defaults.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,  # database round trips vary on a shared machine
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("coopsurvey-ci", max_examples=60, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("coopsurvey-thorough", max_examples=600, **_COMMON)  # type: ignore[arg-type]

PROFILE = settings.get_profile("coopsurvey-" + os.environ.get("COOPSURVEY_HYPOTHESIS_PROFILE", "ci"))
