"""Packaging: every package folder is a package, the version is written once, and a built wheel
holds every file of the source packages (so an install outside the checkout imports).

`.ci/wheel_check` goes further: it installs the wheel into a fresh environment and trains.
"""

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import minigrad

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("minigrad", "transformer")


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _source_files() -> set[str]:
    """Every file of the shipped packages, as a path relative to the repository root."""
    files = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files.add(path.relative_to(ROOT).as_posix())
    return files


def test_setup_cfg_declares_packages_and_extras():
    cfg = configparser.ConfigParser()
    assert cfg.read(ROOT / "setup.cfg"), "cannot read setup.cfg"

    assert cfg["metadata"]["name"] == "minigrad"
    assert cfg["metadata"]["version"].strip() == "attr: minigrad.__version__"
    assert cfg["options"]["packages"].strip() == "find:"
    include = _lines(cfg["options.packages.find"]["include"])
    assert {"minigrad*", "transformer*"} <= set(include)

    extras = cfg["options.extras_require"]
    assert {"dev", "demos", "gpu"} <= set(extras)
    assert any(req.startswith("pytest") for req in _lines(extras["dev"]))
    assert any(req.startswith("cupy") for req in _lines(extras["gpu"]))


def test_every_package_folder_has_an_init():
    for package in PACKAGES:
        for folder in [ROOT / package, *(ROOT / package).rglob("*")]:
            if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py")):
                assert (folder / "__init__.py").is_file(), f"{folder} is not a package"


def test_version_is_written_once():
    assert minigrad.__version__.count(".") == 2
    written = [
        path.relative_to(ROOT).as_posix()
        for path in [
            ROOT / "setup.cfg",
            ROOT / "pyproject.toml",
            *(ROOT / "minigrad").rglob("*.py"),
        ]
        if f'"{minigrad.__version__}"' in path.read_text()
        or f"= {minigrad.__version__}" in path.read_text()
    ]
    assert written == ["minigrad/__init__.py"]


def test_built_wheel_holds_every_package_file(tmp_path):
    # Built from a copy, so setuptools' build/ and egg-info never land in the checkout.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.cfg", "pyproject.toml"):
        shutil.copy(ROOT / name, src / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        + ["-w", str(tmp_path), str(src)],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        pytest.fail(f"pip wheel failed:\n{build.stderr}")
    (wheel,) = tmp_path.glob("minigrad-*.whl")
    assert wheel.name.startswith(f"minigrad-{minigrad.__version__}-")
    with zipfile.ZipFile(wheel) as zf:
        shipped = {name for name in zf.namelist() if name.split("/")[0] in PACKAGES}
    missing = _source_files() - shipped
    assert not missing, f"files left out of the wheel: {sorted(missing)}"
