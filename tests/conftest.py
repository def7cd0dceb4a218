"""Shared pytest setup: Hypothesis profiles.

``ci`` is deterministic and bounded; it is used when CI=true or HYPOTHESIS_PROFILE=ci.
``dev`` (the default elsewhere) explores a little more.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=25,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=60, deadline=None)

_default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or _default)
