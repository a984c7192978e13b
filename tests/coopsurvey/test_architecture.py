"""The import rules of docs/architecture.md hold: import-linter's contracts in pyproject.toml, run as CI runs them.

A module that imports one on a higher floor (aggregation importing a page, the project's settings
importing an app) or two modules that import each other fail here, with the chain of imports.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))


def lint_imports(*config: str) -> subprocess.CompletedProcess[str]:
    command = [LINT_IMPORTS, "--no-cache", "--no-logo", *(["--config", *config] if config else [])]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_every_import_contract_is_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def import_rules() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_the_contracts_cover_every_app_of_the_project() -> None:
    own_apps = {app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").is_file()}
    # Besides the apps: the project package, and the analysis package, which is no app (it imports no Django).
    assert set(import_rules()["root_packages"]) == {*own_apps, "coopsurvey", "analysis"}


@pytest.mark.parametrize("app", ["elicitation", "quantities"])
def test_every_part_of_an_app_cut_by_sub_domain_stands_on_a_floor(app: str) -> None:
    # A new sub-domain or module must be placed, or nothing would stop it importing upwards.
    floors = next(contract["layers"] for contract in import_rules()["contracts"] if contract["type"] == "layers")
    placed = {name.strip() for floor in floors for name in re.split(r"[|:]", floor)}
    parts = {path.stem for path in (ROOT / app).iterdir() if path.suffix == ".py" or path.is_dir()}
    unplaced = {f"{app}.{part}" for part in parts - {"__init__", "__pycache__", "apps", "migrations"}} - placed
    assert not unplaced, f"put {sorted(unplaced)} on a floor in pyproject.toml (docs/architecture.md)"


def test_the_models_floor_is_enforced(tmp_path: Path) -> None:
    """The ground floor's own contract finds a model importing a service (checked on a copy of the rules)."""
    rules = import_rules()
    floor = next(contract for contract in rules["contracts"] if contract.get("id") == "models-floor")
    assert {"core", "aggregation", "elicitation.setup", "quantities.services"} <= set(floor["forbidden_modules"])
    inverted = tmp_path / "models_importing.toml"
    inverted.write_text(
        '[tool.importlinter]\nroot_packages = ["elicitation", "quantities"]\n'
        '[[tool.importlinter.contracts]]\nname = "services stand on nothing"\ntype = "forbidden"\n'
        'source_modules = ["quantities.services"]\nforbidden_modules = ["quantities.models"]\n'
    )
    result = lint_imports(str(inverted))
    assert result.returncode == 1  # the same kind of contract breaks when the import exists
    assert "quantities.services -> quantities.models" in result.stdout


def test_an_import_against_the_floors_is_found(tmp_path: Path) -> None:
    # The same graph under floors the other way round: setup imports the models, so this must break.
    upside_down = tmp_path / "upside_down.toml"
    upside_down.write_text(
        '[tool.importlinter]\nroot_packages = ["elicitation"]\n'
        '[[tool.importlinter.contracts]]\nname = "upside down"\ntype = "layers"\n'
        'layers = ["elicitation.models", "elicitation.setup"]\n'
    )
    result = lint_imports(str(upside_down))
    assert result.returncode == 1
    assert "elicitation.setup is not allowed to import elicitation.models" in result.stdout
