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


# ---- devices: "cpu", the seam-checking "strict" stand-in for CuPy, and "cuda" where usable ------
import pytest  # noqa: E402
import strict_backend  # noqa: E402

import minigrad  # noqa: E402

strict_backend.register()


def _cuda_unavailable_reason() -> str | None:
    try:
        minigrad.device("cuda")
    except minigrad.DeviceError as exc:
        return str(exc)  # says whether CuPy or the GPU is missing, and how to install CuPy
    return None


_CUDA_REASON = _cuda_unavailable_reason()
CUDA = pytest.param(
    "cuda", marks=pytest.mark.skipif(_CUDA_REASON is not None, reason=f"{_CUDA_REASON}")
)


@pytest.fixture(params=["cpu", "strict", CUDA])
def device(request) -> str:
    """Each available device in turn (CUDA cases skip, with the reason, without CuPy or a GPU)."""
    return request.param


@pytest.fixture(params=[CUDA])
def cuda(request) -> str:
    """The "cuda" device, for tests that need a GPU (skipped, saying why, elsewhere)."""
    return request.param


@pytest.fixture(params=["strict", CUDA])
def other_device(request) -> str:
    """Each device other than the CPU, for tests that check its results against the CPU's."""
    return request.param
