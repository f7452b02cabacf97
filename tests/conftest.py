"""Suite-wide markers: which test modules build dbt projects (left out of `make test-fast`)."""

from __future__ import annotations

import pytest

# Modules whose tests run dbt (each build costs seconds); everything else is the fast lane.
BUILDS_DBT = {
    "test_empty_run",
    "test_engine_cases",
    "test_environment",
    "test_float_checks",
    "test_helpdesk",
    "test_incremental",
    "test_marts",
    "test_property",
    "test_report",
    "test_run",
    "test_spark",
    "test_template_text",
    "test_timestamps",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and module.__name__.rsplit(".", 1)[-1] in BUILDS_DBT:
            item.add_marker(pytest.mark.dbt)
