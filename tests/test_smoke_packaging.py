"""setup.cfg declares the packages and extras the project relies on."""

import configparser
from pathlib import Path

SETUP_CFG = Path(__file__).resolve().parents[1] / "setup.cfg"


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def test_setup_cfg_declares_packages_and_extras():
    cfg = configparser.ConfigParser()
    assert cfg.read(SETUP_CFG), f"cannot read {SETUP_CFG}"

    assert cfg["metadata"]["name"] == "minigrad"
    assert cfg["options"]["packages"].strip() == "find:"
    include = _lines(cfg["options.packages.find"]["include"])
    assert {"minigrad*", "transformer*"} <= set(include)

    extras = cfg["options.extras_require"]
    assert {"dev", "demos", "gpu"} <= set(extras)
    assert any(req.startswith("pytest") for req in _lines(extras["dev"]))
    assert any(req.startswith("cupy") for req in _lines(extras["gpu"]))
