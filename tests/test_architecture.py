"""The layering of ARCHITECTURE.md, enforced: import-linter's contracts in pyproject.toml."""
import logging
from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_no_package_imports_a_higher_layer_and_the_pure_layer_stays_pure():
    """A failure names the offending import; fix the import (a registry, a signal or a block
    lets a higher feature add to a lower one), not the contract."""
    # lint_imports configures logging with dictConfig, which disables every logger that
    # exists at that moment; later tests that read the app's log (caplog) would see nothing.
    enabled = [logger for logger in logging.Logger.manager.loggerDict.values()
               if isinstance(logger, logging.Logger) and not logger.disabled]
    try:
        assert lint_imports(config_filename=str(PYPROJECT)) == 0
    finally:
        for logger in enabled:
            logger.disabled = False
