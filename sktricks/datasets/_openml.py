"""Loader for OpenML datasets, reading the bundled copies before the network.

The bundled files are gzip-compressed CSV exports of OpenML datasets, listed
in ``_data/manifest.json`` with their source, licence and sha256. Each file
is checked against its sha256 before it is parsed; nothing here unpickles.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from sklearn.datasets import fetch_openml, get_data_home
from sklearn.utils import Bunch

__all__ = ["DatasetNotFoundError", "list_datasets", "load_openml"]

_DATA_PACKAGE = "sktricks.datasets._data"


class DatasetNotFoundError(LookupError):
    """Raised when a dataset is neither bundled nor downloadable from OpenML.

    Also raised when a fetched dataset has no single default target.
    """


@functools.cache
def _manifest() -> tuple[dict[str, Any], ...]:
    text = resources.files(_DATA_PACKAGE).joinpath("manifest.json").read_text()
    return tuple(json.loads(text))


def _bundled_path(entry: dict[str, Any]) -> Path | None:
    if not entry["bundled"]:
        return None
    path = Path(str(resources.files(_DATA_PACKAGE).joinpath(entry["file"])))
    return path if path.is_file() else None


def list_datasets() -> pd.DataFrame:
    """List the OpenML datasets that sktricks can load by name.

    Bundled datasets load offline; the others are downloaded from OpenML on
    first use and cached by scikit-learn.

    Returns
    -------
    datasets : DataFrame
        One row per dataset, sorted by OpenML id, with columns ``openml_id``,
        ``name``, ``task`` (``"binary"``, ``"multiclass"`` or
        ``"regression"``), ``n_rows``, ``n_features`` (target excluded),
        ``n_classes`` (0 for regression), ``n_missing`` (empty cells),
        ``minority_fraction`` (share of the smallest class, NaN for
        regression) and ``bundled``.

    Examples
    --------
    >>> from sktricks.datasets import list_datasets
    >>> table = list_datasets()
    >>> table.loc[table["name"] == "credit-g", ["openml_id", "task", "n_rows"]]
       openml_id    task  n_rows
    1         31  binary    1000
    """
    rows = []
    for entry in _manifest():
        counts = entry["class_counts"] or {}
        rows.append(
            {
                "openml_id": entry["openml_id"],
                "name": entry["name"],
                "task": entry["task"],
                "n_rows": entry["n_rows"],
                "n_features": entry["n_features"],
                "n_classes": len(counts),
                "n_missing": entry["n_missing"],
                "minority_fraction": (
                    min(counts.values()) / entry["n_rows"] if counts else np.nan
                ),
                "bundled": _bundled_path(entry) is not None,
            }
        )
    return pd.DataFrame(rows).sort_values("openml_id", ignore_index=True)


def _bundled_names() -> list[str]:
    return [e["name"] for e in _manifest() if _bundled_path(e) is not None]


def _find_entry(name_or_id: str | int) -> dict[str, Any] | None:
    key = str(name_or_id).strip()
    for entry in _manifest():
        if key == str(entry["openml_id"]) or key.lower() == entry["name"].lower():
            return entry
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _read_bundled(openml_id: int) -> pd.DataFrame:
    entry = next(e for e in _manifest() if e["openml_id"] == openml_id)
    path = _bundled_path(entry)
    if path is None:
        raise DatasetNotFoundError(f"Dataset {openml_id} is not bundled.")

    actual = _sha256(path)
    if actual != entry["sha256"]:
        raise OSError(
            f"The bundled file {path} has sha256 {actual}, but the manifest "
            f"expects {entry['sha256']}. The installation is damaged; "
            "reinstall sktricks."
        )

    # Categorical columns and class labels are read as text, otherwise
    # labels such as "1"/"2" or "false"/"true" would become numbers or
    # booleans. Empty fields, and only they, are missing values.
    text_columns = list(entry["categorical_features"])
    if entry["task"] != "regression":
        text_columns.append(entry["target"])
    return pd.read_csv(
        path,
        dtype={column: str for column in text_columns},
        keep_default_na=False,
        na_values=[""],
    )


def _as_model_frame(
    frame: pd.DataFrame, target: str, categorical: list[str], task: str
) -> tuple[pd.DataFrame, pd.Series]:
    """Split ``frame`` into features and target with the dtypes models expect.

    Categorical features become pandas ``category`` (sorted categories, so
    codes do not depend on row order), every other feature becomes float64,
    and a class target becomes ``category``.
    """
    X = frame.drop(columns=[target])
    converted = {}
    for column in X.columns:
        if column in categorical:
            values = X[column].astype("string").astype(object)
            values = values.where(X[column].notna(), np.nan)
            categories = sorted(values.dropna().unique(), key=str)
            converted[column] = pd.Categorical(values, categories=categories)
        else:
            converted[column] = pd.to_numeric(X[column]).astype("float64")
    X = pd.DataFrame(converted, index=frame.index)

    y = frame[target]
    if task == "regression":
        y = pd.to_numeric(y).astype("float64")
    else:
        # Missing labels stay missing; the categories are the observed ones.
        labels = y.astype("string").astype(object).where(y.notna(), np.nan)
        y = pd.Series(
            pd.Categorical(
                labels, categories=sorted(labels.dropna().unique(), key=str)
            ),
            index=frame.index,
            name=target,
        )
    return X, y


def _infer_task(y: pd.Series) -> str:
    if isinstance(y.dtype, pd.CategoricalDtype) or y.dtype == object:
        return "binary" if y.nunique(dropna=True) == 2 else "multiclass"
    return "regression"


def _cached_description(openml_id: int, data_home: str | None) -> Path:
    # NOTE: this mirrors where scikit-learn 1.7 to 1.9 cache OpenML's JSON
    # description of a dataset; a later layout change only makes
    # download=False report a cached dataset as missing.
    return (
        Path(get_data_home(data_home))
        / "openml"
        / "openml.org"
        / "api"
        / "v1"
        / "json"
        / "data"
        / f"{openml_id}.gz"
    )


def _fetch(name_or_id: str | int, data_home: str | None, download: bool) -> Bunch:
    key = str(name_or_id).strip()
    bundled = ", ".join(_bundled_names())
    if not download and not (
        key.isdigit() and _cached_description(int(key), data_home).is_file()
    ):
        entry = _find_entry(key)
        label = (
            f"{entry['name']!r} (OpenML id {entry['openml_id']})"
            if entry is not None
            else repr(name_or_id)
        )
        raise DatasetNotFoundError(
            f"Dataset {label} is not bundled with sktricks, is not in the "
            "OpenML cache, and download=False forbids fetching it. Pass "
            f"download=True, or use a bundled dataset: {bundled}."
        )

    query: dict[str, Any] = (
        {"data_id": int(key)} if key.isdigit() else {"name": key, "version": 1}
    )
    try:
        return fetch_openml(**query, data_home=data_home, as_frame=True, parser="auto")
    except (OSError, ValueError) as error:
        # URLError and HTTPError are OSErrors; OpenML's "no such dataset"
        # response is a ValueError subclass.
        raise DatasetNotFoundError(
            f"Dataset {name_or_id!r} is not bundled with sktricks, and OpenML "
            f"could not be reached or does not know it ({error}). Check the "
            f"name or id and the network, or use a bundled dataset: {bundled}."
        ) from error


@overload
def load_openml(
    name_or_id: str | int,
    *,
    return_X_y: Literal[False] = ...,
    data_home: str | None = ...,
    download: bool = ...,
) -> Bunch: ...


@overload
def load_openml(
    name_or_id: str | int,
    *,
    return_X_y: Literal[True],
    data_home: str | None = ...,
    download: bool = ...,
) -> tuple[pd.DataFrame, pd.Series]: ...


def load_openml(
    name_or_id: str | int,
    *,
    return_X_y: bool = False,
    data_home: str | None = None,
    download: bool = True,
) -> Bunch | tuple[pd.DataFrame, pd.Series]:
    """Load an OpenML dataset, from the bundled copy when there is one.

    A bundled dataset is read from the installed package after its sha256
    is checked, so it loads offline. Any other dataset goes through
    :func:`sklearn.datasets.fetch_openml` and its cache in ``data_home``.

    Parameters
    ----------
    name_or_id : str or int
        OpenML id (``31`` or ``"31"``) or dataset name (``"credit-g"``,
        case-insensitive). A name that sktricks does not list is looked up
        on OpenML as version 1 of that name.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    data_home : str, default=None
        Cache folder for downloads, as in :func:`sklearn.datasets.fetch_openml`.
        Unused for bundled datasets.
    download : bool, default=True
        Whether a dataset that is neither bundled nor cached may be
        downloaded. With ``False`` such a dataset raises
        :class:`DatasetNotFoundError`.

    Returns
    -------
    dataset : Bunch
        With ``data`` (DataFrame: categorical columns as pandas ``category``,
        the others as float64), ``target`` (Series: ``category`` for
        classification, float64 for regression), ``frame`` (features and
        target together), ``task`` (``"binary"``, ``"multiclass"`` or
        ``"regression"``), ``openml_id``, ``name``, ``feature_names``,
        ``categorical_features``, ``target_name``, ``bundled`` and, for
        bundled datasets, ``license`` and ``source``.
    (data, target) : tuple of DataFrame and Series
        When ``return_X_y=True``.

    Raises
    ------
    DatasetNotFoundError
        When the dataset is not bundled and cannot be fetched from OpenML
        (the message lists the bundled datasets), or when a fetched dataset
        has no default target or several.

    Examples
    --------
    >>> from sktricks.datasets import load_openml
    >>> credit = load_openml("credit-g")
    >>> credit.data.shape, credit.task, credit.openml_id
    ((1000, 20), 'binary', 31)
    >>> credit.target.value_counts().to_dict()
    {'good': 700, 'bad': 300}
    >>> str(credit.data["purpose"].dtype)
    'category'
    """
    entry = _find_entry(name_or_id)
    if entry is not None and _bundled_path(entry) is not None:
        raw = _read_bundled(entry["openml_id"])
        target_name = entry["target"]
        categorical = list(entry["categorical_features"])
        task = entry["task"]
        extra = {"license": entry["license"], "source": entry["source"]}
        openml_id, name, bundled = entry["openml_id"], entry["name"], True
    else:
        fetched = _fetch(
            entry["openml_id"] if entry is not None else name_or_id,
            data_home,
            download,
        )
        if not isinstance(fetched.target, pd.Series):
            found = (
                "no default target"
                if fetched.target is None
                else f"{fetched.target.shape[1]} targets "
                f"({', '.join(map(str, fetched.target.columns))})"
            )
            raise DatasetNotFoundError(
                f"Dataset {fetched.details.get('name', name_or_id)!r} (OpenML id "
                f"{fetched.details.get('id', name_or_id)}) has {found}; "
                "load_openml needs exactly one target column to set the task. "
                "Fetch it with sklearn.datasets.fetch_openml(target_column=...)."
            )
        target_name = fetched.target.name
        raw = fetched.frame
        categorical = [
            c
            for c in fetched.data.columns
            if not pd.api.types.is_numeric_dtype(fetched.data[c])
        ]
        task = entry["task"] if entry is not None else _infer_task(fetched.target)
        extra = {}
        openml_id = int(fetched.details["id"])
        name, bundled = fetched.details["name"], False

    X, y = _as_model_frame(raw, target_name, categorical, task)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        frame=pd.concat([X, y], axis=1),
        task=task,
        openml_id=openml_id,
        name=name,
        feature_names=list(X.columns),
        categorical_features=categorical,
        target_name=target_name,
        bundled=bundled,
        **extra,
    )
