"""The layer order is written down once and kept: every app is in the import contract and
in the architecture map, in the same order as INSTALLED_APPS, and the contract holds."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from django.apps import apps

from aizuchi.core.testing import ROOT


def _layers() -> list[list[str]]:
    """The contract's layers, lowest first; each a list of apps (siblings share one)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [contract] = config["tool"]["importlinter"]["contracts"]
    layers = []
    for layer in reversed(contract["layers"]):
        names = [name.strip() for name in layer.split("|")]
        if not all(name.startswith("(") for name in names):  # planned layers are optional
            layers.append(names)
    return layers


def _our_apps() -> list[str]:
    return [
        config.name.split(".", 1)[1]
        for config in apps.get_app_configs()
        if config.name.startswith("aizuchi.")
    ]


def test_every_app_is_in_the_contract_in_the_order_of_installed_apps():
    in_contract = [name for layer in _layers() for name in layer]
    assert sorted(in_contract) == sorted(_our_apps())
    position = {name: i for i, layer in enumerate(_layers()) for name in layer}
    installed = _our_apps()
    # INSTALLED_APPS lists the apps lowest first, as the contract does.
    assert [position[name] for name in installed] == sorted(position[name] for name in installed)


def test_every_app_is_in_the_architecture_map():
    text = (ROOT / "docs" / "architecture.md").read_text()
    rows = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.MULTILINE))
    assert set(_our_apps()) <= rows


def test_the_import_contract_holds():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(  # noqa: S603 - the project's own tool, fixed arguments
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
