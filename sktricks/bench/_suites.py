"""Named dataset suites for ``sktricks bench``."""

from __future__ import annotations

from sktricks.datasets import list_datasets

__all__ = ["SUITES", "get_suite"]

# The quick suite: eight small bundled datasets covering balanced and
# imbalanced binary, multiclass and regression tasks, so that the four
# built-in recipes with 5 folds finish in a few minutes on two cores.
_QUICK = (
    "diabetes",
    "credit-g",
    "blood-transfusion-service-center",
    "kc2",
    "climate-model-simulation-crashes",
    "cmc",
    "vehicle",
    "bodyfat",
)

SUITES: dict[str, str] = {
    "quick": "8 small bundled datasets (binary, imbalanced, multiclass, regression)",
    "bundled": "every dataset bundled with sktricks",
}


def get_suite(name: str) -> list[str]:
    """Return the dataset names of suite ``name``.

    Raises
    ------
    KeyError
        When the suite is unknown; the message lists the suites.
    """
    if name == "quick":
        return list(_QUICK)
    if name == "bundled":
        table = list_datasets()
        return table.loc[table["bundled"], "name"].tolist()
    raise KeyError(f"Unknown suite {name!r}. Available suites: {', '.join(SUITES)}.")
