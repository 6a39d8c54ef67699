"""Named dataset suites for ``sktricks bench``, and suite files in TOML."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sktricks.datasets import list_datasets

if sys.version_info >= (3, 11):
    import tomllib
else:  # NOTE: drop with Python 3.10 support; tomllib is in the 3.11 stdlib.
    import tomli as tomllib

__all__ = ["SUITES", "SuiteFile", "get_suite", "load_suite_file"]

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

# OpenML-CC18, the curated classification benchmark suite of OpenML (study
# 99, https://www.openml.org/s/99): its 72 dataset ids, with the OpenML
# names used in error messages. The suite is frozen, so the list is
# hard-coded instead of fetched.
CC18: tuple[tuple[int, str], ...] = (
    (3, "kr-vs-kp"),
    (6, "letter"),
    (11, "balance-scale"),
    (12, "mfeat-factors"),
    (14, "mfeat-fourier"),
    (15, "breast-w"),
    (16, "mfeat-karhunen"),
    (18, "mfeat-morphological"),
    (22, "mfeat-zernike"),
    (23, "cmc"),
    (28, "optdigits"),
    (29, "credit-approval"),
    (31, "credit-g"),
    (32, "pendigits"),
    (37, "diabetes"),
    (38, "sick"),
    (44, "spambase"),
    (46, "splice"),
    (50, "tic-tac-toe"),
    (54, "vehicle"),
    (151, "electricity"),
    (182, "satimage"),
    (188, "eucalyptus"),
    (300, "isolet"),
    (307, "vowel"),
    (458, "analcatdata_authorship"),
    (469, "analcatdata_dmft"),
    (554, "mnist_784"),
    (1049, "pc4"),
    (1050, "pc3"),
    (1053, "jm1"),
    (1063, "kc2"),
    (1067, "kc1"),
    (1068, "pc1"),
    (1461, "bank-marketing"),
    (1462, "banknote-authentication"),
    (1464, "blood-transfusion-service-center"),
    (1468, "cnae-9"),
    (1475, "first-order-theorem-proving"),
    (1478, "har"),
    (1480, "ilpd"),
    (1485, "madelon"),
    (1486, "nomao"),
    (1487, "ozone-level-8hr"),
    (1489, "phoneme"),
    (1494, "qsar-biodeg"),
    (1497, "wall-robot-navigation"),
    (1501, "semeion"),
    (1510, "wdbc"),
    (1590, "adult"),
    (4134, "Bioresponse"),
    (4534, "PhishingWebsites"),
    (4538, "GesturePhaseSegmentationProcessed"),
    (6332, "cylinder-bands"),
    (23381, "dresses-sales"),
    (23517, "numerai28.6"),
    (40499, "texture"),
    (40668, "connect-4"),
    (40670, "dna"),
    (40701, "churn"),
    (40923, "Devnagari-Script"),
    (40927, "CIFAR_10"),
    (40966, "MiceProtein"),
    (40975, "car"),
    (40978, "Internet-Advertisements"),
    (40979, "mfeat-pixel"),
    (40982, "steel-plates-fault"),
    (40983, "wilt"),
    (40984, "segment"),
    (40994, "climate-model-simulation-crashes"),
    (40996, "Fashion-MNIST"),
    (41027, "jungle_chess_2pcs_raw_endgame_complete"),
)

SUITES: dict[str, str] = {
    "quick": "8 small bundled datasets (binary, imbalanced, multiclass, regression)",
    "bundled": "every dataset bundled with sktricks",
    "cc18": "the 72 OpenML-CC18 classification datasets (OpenML study 99); "
    "those not bundled are downloaded from OpenML",
}


def get_suite(name: str) -> list[str]:
    """Return the dataset names (or OpenML ids) of suite ``name``.

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
    if name == "cc18":
        return [str(openml_id) for openml_id, _ in CC18]
    raise KeyError(f"Unknown suite {name!r}. Available suites: {', '.join(SUITES)}.")


_SUITE_KEYS = ("datasets", "recipes", "folds", "repeats")


@dataclass(frozen=True)
class SuiteFile:
    """A benchmark suite read from a TOML file by :func:`load_suite_file`.

    Attributes
    ----------
    path : Path
        The file read.
    datasets : list of str
        Dataset names or OpenML ids.
    recipes : list of str or None
        Recipe names; None runs the default recipes.
    folds, repeats : int or None
        Cross-validation folds and repeats; None keeps the caller's value.
    """

    path: Path
    datasets: list[str]
    recipes: list[str] | None = None
    folds: int | None = None
    repeats: int | None = None


def is_suite_file(suite: str | Path) -> bool:
    """Return whether ``suite`` names a TOML suite file rather than a named suite."""
    return isinstance(suite, Path) or str(suite).lower().endswith(".toml")


def _name_list(path: Path, key: str, value: Any) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or not all(
            isinstance(item, str | int) and not isinstance(item, bool) for item in value
        )
        or not all(str(item).strip() for item in value)
    ):
        raise ValueError(
            f"Suite file {str(path)!r}: key {key!r} must be a non-empty list of "
            f'names or OpenML ids, for example {key} = ["diabetes", 31]; got '
            f"{value!r}."
        )
    return [str(item).strip() for item in value]


def _count(path: Path, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"Suite file {str(path)!r}: key {key!r} must be an integer of at "
            f"least {minimum}; got {value!r}."
        )
    return value


def load_suite_file(path: str | Path) -> SuiteFile:
    """Read and validate a TOML suite file.

    The file contains ``datasets`` (required: a list of dataset names or
    OpenML ids) and optionally ``recipes`` (a list of recipe names),
    ``folds`` (an integer of at least 2) and ``repeats`` (an integer of at
    least 1). Recipe names are checked when the run starts.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    OSError
        When the file cannot be read, for instance because it is a
        directory (:class:`IsADirectoryError`) or not readable
        (:class:`PermissionError`).
    ValueError
        When the file is not valid TOML, has an unknown or missing key, or a
        value of the wrong type; the message names the key.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sktricks.bench import load_suite_file
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "small.toml"
    ...     _ = path.write_text(
    ...         'datasets = ["diabetes", 31]\\nrecipes = ["linear"]\\nfolds = 3\\n'
    ...     )
    ...     suite = load_suite_file(path)
    >>> suite.datasets, suite.recipes, suite.folds, suite.repeats
    (['diabetes', '31'], ['linear'], 3, None)
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"Suite file {str(path)!r} not found. Give the path of a TOML file, "
            f"or a named suite: {', '.join(SUITES)}."
        ) from None
    except OSError as error:
        # Keep the type (IsADirectoryError, PermissionError) and put the path
        # and the fix in the message.
        raise type(error)(
            f"Suite file {str(path)!r} cannot be read: {error.strerror or error}. "
            f"Give the path of a readable TOML file, or a named suite: "
            f"{', '.join(SUITES)}."
        ) from error
    try:
        content = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ValueError(
            f"Suite file {str(path)!r} is not valid TOML: {error}."
        ) from error

    unknown = sorted(set(content) - set(_SUITE_KEYS))
    if unknown:
        raise ValueError(
            f"Suite file {str(path)!r}: unknown key {unknown[0]!r}. Allowed keys: "
            f"{', '.join(_SUITE_KEYS)}."
        )
    if "datasets" not in content:
        raise ValueError(
            f"Suite file {str(path)!r}: key 'datasets' is missing; list the "
            'datasets to run, for example datasets = ["diabetes", 31].'
        )
    return SuiteFile(
        path=path,
        datasets=_name_list(path, "datasets", content["datasets"]),
        recipes=(
            _name_list(path, "recipes", content["recipes"])
            if "recipes" in content
            else None
        ),
        folds=_count(path, "folds", content["folds"], 2)
        if "folds" in content
        else None,
        repeats=(
            _count(path, "repeats", content["repeats"], 1)
            if "repeats" in content
            else None
        ),
    )
