import urllib.error

import pytest

from sktricks.bench import get_suite, load_suite_file, run_benchmark
from sktricks.bench._cli import main
from sktricks.bench._suites import CC18
from sktricks.datasets import DatasetNotFoundError, list_datasets


@pytest.fixture
def offline(monkeypatch):
    """Make every OpenML download fail as without a network, and count tries."""
    requested = []

    def reject(**query):
        requested.append(query.get("data_id", query.get("name")))
        raise urllib.error.URLError("network is unreachable (test)")

    monkeypatch.setattr("sktricks.datasets._openml.fetch_openml", reject)
    return requested


def test_cc18_suite_lists_72_distinct_ids():
    ids = get_suite("cc18")
    assert len(ids) == 72
    assert len(set(ids)) == 72
    assert {"31", "37", "554", "40994", "41027"} <= set(ids)
    assert [str(openml_id) for openml_id, _ in CC18] == ids


def test_cc18_offline_names_every_missing_dataset(tmp_path, offline):
    bundled = set(list_datasets().query("bundled")["openml_id"].astype(str))
    expected_missing = [i for i in get_suite("cc18") if i not in bundled]
    assert 0 < len(expected_missing) < 72

    with pytest.raises(DatasetNotFoundError) as info:
        run_benchmark(suite="cc18", output=tmp_path / "out", verbose=0)
    message = str(info.value)
    assert f"{len(expected_missing)} of the 72 datasets of suite 'cc18'" in message
    assert "3 (kr-vs-kp)" in message
    assert "554 (mnist_784)" in message
    assert "network is unreachable" in message
    # Bundled CC18 datasets load offline and are not reported.
    assert "31 (credit-g)" not in message
    assert sorted(map(str, offline)) == sorted(expected_missing)
    assert not (tmp_path / "out").exists()


def test_cc18_offline_cli_exits_2(tmp_path, offline, capsys):
    code = main(["bench", "--suite", "cc18", "--output", str(tmp_path), "--quiet"])
    assert code == 2
    error = capsys.readouterr().err
    assert "datasets of suite 'cc18' could not be loaded" in error
    assert "40927 (CIFAR_10)" in error


def _write(tmp_path, text):
    path = tmp_path / "suite.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_suite_file_sets_datasets_recipes_folds_repeats(tmp_path):
    path = _write(
        tmp_path,
        'datasets = ["diabetes", 560]\nrecipes = ["linear"]\nfolds = 3\nrepeats = 2\n',
    )
    result = run_benchmark(suite=path, output=tmp_path / "out", verbose=0)
    frame = result.results
    assert sorted(frame["dataset"].unique()) == ["bodyfat", "diabetes"]
    assert set(frame["recipe"]) == {"linear"}
    assert sorted(frame["fold"].unique()) == [0, 1, 2]
    assert sorted(frame["repeat"].unique()) == [0, 1]
    assert len(frame) == 2 * 3 * 2


def test_suite_file_cli_options_override_file(tmp_path, capsys):
    path = _write(
        tmp_path, 'datasets = ["diabetes"]\nrecipes = ["linear"]\nfolds = 4\n'
    )
    output = str(tmp_path / "o")
    argv = ["bench", "--suite", str(path), "--cv", "2", "--output", output]
    code = main([*argv, "--quiet", "--n-jobs", "1"])
    assert code == 0
    assert "Ran 2 cells" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('datasets = ["diabetes"]\nfold = 3\n', "unknown key 'fold'. Allowed keys"),
        ('datasets = ["diabetes"]\nfolds = "5"\n', "key 'folds' must be an integer"),
        ('datasets = ["diabetes"]\nfolds = 1\n', "key 'folds' must be.*at least 2"),
        ('datasets = ["diabetes"]\nrepeats = 0\n', "key 'repeats' must be"),
        ('datasets = ["diabetes"]\nfolds = true\n', "key 'folds' must be"),
        ("recipes = ['linear']\n", "key 'datasets' is missing"),
        ("datasets = []\n", "key 'datasets' must be a non-empty list"),
        ('datasets = "diabetes"\n', "key 'datasets' must be a non-empty list"),
        ('datasets = ["diabetes"]\nrecipes = "linear"\n', "key 'recipes' must be"),
        ('datasets = ["diabetes", ""]\n', "key 'datasets' must be"),
        ("datasets = [\n", "is not valid TOML"),
    ],
)
def test_suite_file_rejects_bad_content(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=message):
        load_suite_file(path)
    with pytest.raises(ValueError, match=message):
        run_benchmark(suite=path, output=tmp_path / "out", verbose=0)
    assert not (tmp_path / "out").exists()


def test_suite_file_missing_and_unknown_recipe(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match=r"Suite file .*nope\.toml' not found"):
        load_suite_file(tmp_path / "nope.toml")
    path = _write(tmp_path, 'datasets = ["diabetes"]\nrecipes = ["magic"]\n')
    code = main(["bench", "--suite", str(path), "--output", str(tmp_path / "o")])
    assert code == 2
    assert "Unknown recipe 'magic'" in capsys.readouterr().err
