import csv
import gzip
import hashlib
import json
import shutil
from importlib import resources
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch

import sktricks.datasets._openml as openml_module
from sktricks.datasets import DatasetNotFoundError, list_datasets, load_openml

DATA = Path(str(resources.files("sktricks.datasets._data")))
MANIFEST = json.loads((DATA / "manifest.json").read_text())
BUNDLED = [entry for entry in MANIFEST if entry["bundled"]]


def test_bundle_covers_required_tasks():
    tasks = pd.Series([entry["task"] for entry in BUNDLED])
    classification = tasks.isin(["binary", "multiclass"]).sum()
    assert classification >= 10
    assert (tasks == "binary").sum() >= 1
    assert (tasks == "multiclass").sum() >= 1
    assert (tasks == "regression").sum() >= 2

    minority = [
        min(e["class_counts"].values()) / e["n_rows"]
        for e in BUNDLED
        if e["class_counts"]
    ]
    assert sum(fraction < 0.2 for fraction in minority) >= 3


def test_bundled_files_are_small_and_present():
    for entry in BUNDLED:
        path = DATA / entry["file"]
        assert path.is_file(), entry["file"]
        assert path.stat().st_size < 1_000_000, entry["file"]


@pytest.mark.parametrize("entry", BUNDLED, ids=lambda e: e["name"])
def test_bundled_dataset_matches_manifest(entry):
    # Count rows, columns, missing cells and classes straight from the raw
    # file with the csv module's parser, independently of the loader.
    with gzip.open(DATA / entry["file"], "rt", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    target_position = header.index(entry["target"])

    assert len(body) == entry["n_rows"]
    assert len(header) - 1 == entry["n_features"]
    assert sum(cell == "" for row in body for cell in row) == entry["n_missing"]
    if entry["class_counts"]:
        counts = pd.Series([row[target_position] for row in body]).value_counts()
        assert counts.to_dict() == entry["class_counts"]

    bunch = load_openml(entry["openml_id"])
    assert bunch.data.shape == (entry["n_rows"], entry["n_features"])
    assert int(bunch.data.isna().sum().sum()) == entry["n_missing"]
    if entry["class_counts"]:
        assert bunch.target.value_counts().to_dict() == entry["class_counts"]
    assert bunch.task == entry["task"]


def test_load_openml_dtypes():
    credit = load_openml("credit-g")
    categorical = credit.categorical_features
    entry = next(e for e in MANIFEST if e["name"] == "credit-g")
    assert categorical == entry["categorical_features"]
    for column in credit.data.columns:
        expected = "category" if column in categorical else "float64"
        assert str(credit.data[column].dtype) == expected, column
    assert isinstance(credit.target.dtype, pd.CategoricalDtype)
    assert list(credit.target.cat.categories) == ["bad", "good"]


def test_load_openml_keeps_label_text():
    # cmc's categorical levels are digits; read as numbers they would lose
    # their categorical meaning.
    cmc = load_openml("cmc")
    assert str(cmc.data["Wifes_education"].dtype) == "category"
    assert set(cmc.data["Wifes_education"].cat.categories) == {"1", "2", "3", "4"}


def test_load_openml_missing_values_are_nan():
    mice = load_openml("MiceProtein")
    assert int(mice.data.isna().sum().sum()) == 1396
    assert mice.data.dtypes.eq("float64").all()


def test_load_openml_accepts_id_name_and_case():
    by_id = load_openml(37, return_X_y=True)
    by_text_id = load_openml("37", return_X_y=True)
    by_name = load_openml("Diabetes", return_X_y=True)
    for X, y in (by_text_id, by_name):
        pd.testing.assert_frame_equal(X, by_id[0])
        pd.testing.assert_series_equal(y, by_id[1])


def test_load_openml_bunch_fields():
    bodyfat = load_openml("bodyfat")
    assert bodyfat.task == "regression"
    assert bodyfat.openml_id == 560
    assert bodyfat.bundled
    assert bodyfat.target.dtype == np.float64
    assert bodyfat.feature_names == list(bodyfat.data.columns)
    assert list(bodyfat.frame.columns) == [*bodyfat.feature_names, bodyfat.target_name]
    assert "StatLib" in bodyfat.license


def test_load_openml_rejects_corrupt_file(tmp_path, monkeypatch):
    data = tmp_path / "_data"
    shutil.copytree(DATA, data)
    target = data / "37-diabetes.csv.gz"
    target.write_bytes(target.read_bytes()[:-10] + b"0123456789")

    monkeypatch.setattr(openml_module.resources, "files", lambda package: data)
    openml_module._manifest.cache_clear()
    openml_module._read_bundled.cache_clear()
    try:
        with pytest.raises(OSError, match=r"sha256 .* reinstall sktricks"):
            load_openml("diabetes")
    finally:
        openml_module._manifest.cache_clear()
        openml_module._read_bundled.cache_clear()


def test_manifest_checksums_match_files():
    for entry in BUNDLED:
        digest = hashlib.sha256((DATA / entry["file"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"], entry["file"]


def test_load_openml_offline_error_lists_bundled(monkeypatch):
    def unreachable(**kwargs):
        raise URLError("Name or service not known")

    monkeypatch.setattr(openml_module, "fetch_openml", unreachable)
    with pytest.raises(DatasetNotFoundError) as info:
        load_openml("adult")
    message = str(info.value)
    assert "not bundled" in message
    assert "could not be reached" in message
    assert "credit-g" in message and "bodyfat" in message


def test_load_openml_download_false_does_not_fetch(monkeypatch, tmp_path):
    def forbidden(**kwargs):
        raise AssertionError("fetch_openml must not be called")

    monkeypatch.setattr(openml_module, "fetch_openml", forbidden)
    with pytest.raises(DatasetNotFoundError, match="download=False"):
        load_openml(1590, download=False, data_home=str(tmp_path))


def test_load_openml_converts_fetched_frame(monkeypatch):
    frame = pd.DataFrame(
        {
            "colour": pd.Categorical(["red", "blue", None, "red"]),
            "size": pd.array([1, 2, None, 4], dtype="Int64"),
            "label": pd.Categorical(["a", "b", "c", "a"]),
        }
    )

    def fake_fetch(**kwargs):
        assert kwargs["data_id"] == 999
        return Bunch(
            frame=frame,
            data=frame[["colour", "size"]],
            target=frame["label"],
            details={"id": "999", "name": "fake"},
        )

    monkeypatch.setattr(openml_module, "fetch_openml", fake_fetch)
    bunch = load_openml(999)
    assert bunch.task == "multiclass"
    assert not bunch.bundled
    assert bunch.categorical_features == ["colour"]
    assert str(bunch.data["colour"].dtype) == "category"
    assert bunch.data["size"].dtype == np.float64
    assert np.isnan(bunch.data["size"].iloc[2])
    assert bunch.data["colour"].isna().tolist() == [False, False, True, False]


def test_list_datasets_table():
    table = list_datasets()
    assert list(table.columns) == [
        "openml_id",
        "name",
        "task",
        "n_rows",
        "n_features",
        "n_classes",
        "n_missing",
        "minority_fraction",
        "bundled",
    ]
    assert table["openml_id"].is_monotonic_increasing
    assert table["bundled"].sum() == len(BUNDLED)
    credit = table.set_index("name").loc["credit-g"]
    assert credit["n_classes"] == 2
    assert credit["minority_fraction"] == pytest.approx(0.3)


def _fake_fetch(monkeypatch, frame, target):
    def fake_fetch(**kwargs):
        features = [c for c in frame.columns if target is None or c not in target]
        return Bunch(
            frame=frame,
            data=frame[features],
            target=None
            if target is None
            else frame[target].squeeze(axis=1)
            if len(target) == 1
            else frame[target],
            details={"id": "999", "name": "fake"},
        )

    monkeypatch.setattr(openml_module, "fetch_openml", fake_fetch)


def test_load_openml_fetched_missing_labels_stay_missing(monkeypatch):
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0, 3.0, 4.0, 5.0],
            "label": pd.Categorical(["b", None, "a", "b", None]),
        }
    )
    _fake_fetch(monkeypatch, frame, ["label"])
    bunch = load_openml(999)
    assert bunch.task == "binary"
    assert list(bunch.target.cat.categories) == ["a", "b"]
    assert bunch.target.isna().tolist() == [False, True, False, False, True]
    assert bunch.target.dropna().tolist() == ["b", "a", "b"]


@pytest.mark.parametrize(
    ("target", "message"),
    [(None, "no default target"), (["t1", "t2"], r"2 targets \(t1, t2\)")],
)
def test_load_openml_fetched_target_count_error(monkeypatch, target, message):
    frame = pd.DataFrame({"x": [1.0, 2.0], "t1": [0.0, 1.0], "t2": [1.0, 0.0]})
    _fake_fetch(monkeypatch, frame, target)
    with pytest.raises(
        DatasetNotFoundError, match=rf"'fake' \(OpenML id 999\).*{message}"
    ):
        load_openml(999)


def test_load_openml_download_false_names_known_dataset(monkeypatch, tmp_path):
    def forbidden(**kwargs):
        raise AssertionError("fetch_openml must not be called")

    monkeypatch.setattr(openml_module, "fetch_openml", forbidden)
    with pytest.raises(DatasetNotFoundError, match=r"'adult' \(OpenML id 1590\)"):
        load_openml("adult", download=False, data_home=str(tmp_path))
