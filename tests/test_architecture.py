"""The layering of ARCHITECTURE.md, enforced: import-linter's contracts in pyproject.toml."""
from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_no_package_imports_a_higher_layer_and_the_pure_layer_stays_pure():
    """A failure names the offending import; fix the import (a registry, a signal or a block
    lets a higher feature add to a lower one), not the contract."""
    assert lint_imports(config_filename=str(PYPROJECT)) == 0
