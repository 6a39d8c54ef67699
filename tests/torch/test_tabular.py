import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from sktricks.torch import EMA, TabularNetClassifier, TabularNetRegressor  # noqa: E402

FAST = {"hidden_sizes": (8,), "max_epochs": 4, "batch_size": 32, "lr": 0.01}


def _frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "colour": pd.Categorical(rng.choice(["red", "green", "blue"], size=n)),
            "z": rng.normal(size=n),
        },
        index=np.arange(100, 100 + n),
    )
    y = ((X["x"] + (X["colour"] == "red")) > 0.3).astype(int).to_numpy()
    return X, y


TRICKS = [
    {},
    {"adversarial": "fgm"},
    {"adversarial": "pgd", "adv_steps": 2},
    {"adversarial": "freelb", "adv_steps": 2},
    {"ema": 0.9},
    {"rdrop_alpha": 1.0},
    {"mixup_alpha": 0.4},
    {"warmup": 0.2, "lr_decay": "cosine"},
    {"optimizer": "adan", "lookahead": True},
    {"loss": "focal", "label_smoothing": 0.1},
    {"early_stopping": True, "n_iter_no_change": 2},
]


@pytest.mark.parametrize("tricks", TRICKS, ids=lambda t: "-".join(t) or "plain")
def test_classifier_same_seed_same_predictions(tricks):
    X, y = _frame()
    first = TabularNetClassifier(**FAST, **tricks, random_state=3).fit(X, y)
    second = TabularNetClassifier(**FAST, **tricks, random_state=3).fit(X, y)
    proba = first.predict_proba(X)
    np.testing.assert_array_equal(proba, second.predict_proba(X))
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_regressor_same_seed_same_predictions():
    X, _ = _frame()
    y = X["x"].to_numpy() * 3 + 10
    kwargs = {**FAST, "adversarial": "fgm", "ema": 0.9, "random_state": 1}
    first = TabularNetRegressor(**kwargs).fit(X, y).predict(X)
    second = TabularNetRegressor(**kwargs).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)
    other = TabularNetRegressor(**{**kwargs, "random_state": 2}).fit(X, y).predict(X)
    assert not np.array_equal(first, other)


def test_fit_leaves_global_torch_state_alone():
    X, y = _frame()
    torch.manual_seed(123)
    expected = torch.rand(3)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    TabularNetClassifier(**FAST, random_state=0).fit(X, y)
    torch.testing.assert_close(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def test_regressor_learns_scaled_target():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = 1000 + 500 * (X @ [1.0, -2.0, 0.5])
    reg = TabularNetRegressor(
        hidden_sizes=(16,), max_epochs=40, lr=0.01, batch_size=32, random_state=0
    )
    assert reg.fit(X, y).score(X, y) > 0.95


def test_regressor_predictions_match_float64_forward_and_any_subset():
    # In float32, a row's output changed in the 6th digit with the number
    # of rows predicted with it; predictions now come from float64 weights.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + 0.1 * rng.normal(size=200)
    reg = TabularNetRegressor(
        hidden_sizes=(16,), max_epochs=5, lr=0.02, batch_size=32, random_state=0
    ).fit(X, y)

    # The same network written out in numpy: one ReLU layer, then linear.
    weights = {
        name: value.detach().double().numpy()
        for name, value in reg.net_.module_.state_dict().items()
    }
    # The standardised inputs are float32, as the network was trained on.
    h = ((X - reg.numeric_mean_) / reg.numeric_scale_).astype(np.float32)
    h = np.maximum(h @ weights["mlp.0.weight"].T + weights["mlp.0.bias"], 0)
    out = h @ weights["mlp.3.weight"].T + weights["mlp.3.bias"]
    expected = out[:, 0] * reg.y_scale_ + reg.y_mean_

    full = reg.predict(X)
    np.testing.assert_allclose(full, expected, rtol=1e-12, atol=1e-12)
    for rows in (slice(0, 1), slice(5, 15), slice(0, 199)):
        np.testing.assert_allclose(reg.predict(X[rows]), full[rows], rtol=1e-12)


def test_classifier_probabilities_do_not_depend_on_the_batch():
    X, y = _frame(n=150)
    clf = TabularNetClassifier(**FAST, random_state=0).fit(X, y)
    full = clf.predict_proba(X)
    for start, stop in ((0, 1), (3, 40), (7, 150)):
        part = clf.predict_proba(X.iloc[start:stop])
        np.testing.assert_allclose(part, full[start:stop], rtol=1e-12)


def test_classifier_ema_predictions_use_averaged_weights():
    X, y = _frame()
    clf = TabularNetClassifier(**FAST, ema=0.8, random_state=0).fit(X, y)
    callback = dict(clf.net_.callbacks)["ema"]
    assert isinstance(callback.ema_, EMA)
    for name, value in clf.net_.module_.state_dict().items():
        torch.testing.assert_close(value, callback.ema_.module.state_dict()[name])
    assert int(callback.ema_.n_averaged) == clf.n_epochs_ * 4  # 120 rows / 32


def test_classifier_grid_search_has_no_hidden_split():
    # skorch's default train_split would hold out 20% of each CV training
    # fold; every training row must be used instead.
    X, y = _frame()
    search = GridSearchCV(
        TabularNetClassifier(**FAST, random_state=0), {"lr": [0.01, 0.02]}, cv=3
    ).fit(X, y)
    net = search.best_estimator_.net_
    assert "valid_loss" not in net.history[-1]
    # 120 rows in 32-row batches: 3 full batches and one of 24.
    assert [batch["train_batch_size"] for batch in net.history[-1]["batches"]] == [
        32,
        32,
        32,
        24,
    ]


def test_classifier_early_stopping_holds_out_validation_rows():
    # Random labels: the validation loss stops improving almost at once.
    X, _ = _frame()
    y = np.random.default_rng(0).integers(0, 2, size=len(X))
    clf = TabularNetClassifier(
        **{**FAST, "max_epochs": 50, "lr": 0.05},
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=2,
        random_state=0,
    ).fit(X, y)
    assert "valid_loss" in clf.net_.history[-1]
    batches = clf.net_.history[-1]["batches"]
    train_rows = sum(b["train_batch_size"] for b in batches if "train_batch_size" in b)
    assert train_rows == 90
    assert clf.n_epochs_ < 50


def test_classifier_probabilities_work_with_calibration():
    # skorch returns float32 probabilities, which scikit-learn's calibration
    # rejected in some versions; ours are float64.
    X, y = _frame()
    calibrated = CalibratedClassifierCV(
        TabularNetClassifier(**FAST, random_state=0), cv=3
    ).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.dtype == np.float64
    assert proba.shape == (120, 2)


def test_classifier_string_labels_and_unseen_category():
    X, y = _frame()
    labels = np.array(["no", "yes"])[y]
    clf = TabularNetClassifier(**FAST, random_state=0).fit(X, labels)
    assert list(clf.classes_) == ["no", "yes"]
    assert clf.categorical_columns_ == ["colour"]
    new = X.head(3).copy()
    new["colour"] = pd.Categorical(["purple", None, "red"])
    assert set(clf.predict(new)) <= {"no", "yes"}


def test_classifier_accepts_nullable_numeric_columns():
    X, y = _frame()
    X["count"] = pd.array(np.arange(len(X)) % 5, dtype="Int64")
    X["flag"] = pd.array(np.arange(len(X)) % 2 == 0, dtype="boolean")
    clf = TabularNetClassifier(**FAST, random_state=0).fit(X, y)
    assert clf.predict(X).shape == (120,)


def test_classifier_rejects_nan_naming_column():
    X, y = _frame()
    X.loc[X.index[3], "z"] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinity in columns \['z'\]; impute"):
        TabularNetClassifier(**FAST).fit(X, y)
    X["z"] = pd.array([None] + [1] * (len(X) - 1), dtype="Int64")
    with pytest.raises(ValueError, match=r"columns \['z'\]"):
        TabularNetClassifier(**FAST).fit(X, y)


def test_classifier_rejects_string_column():
    X, y = _frame()
    X["name"] = "a"
    with pytest.raises(
        TypeError, match=r"Column 'name' has dtype .*astype\('category'\)"
    ):
        TabularNetClassifier(**FAST).fit(X, y)


def test_classifier_rejects_missing_or_reordered_columns():
    X, y = _frame()
    clf = TabularNetClassifier(**FAST, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(X[["z", "colour", "x"]])
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(X[["x", "colour"]])
    with pytest.raises(
        ValueError, match="category columns \\['colour'\\]; pass a DataFrame"
    ):
        clf.predict(X.to_numpy())


@pytest.mark.parametrize("device", ["gpu", "cuda", "cuda:1"])
def test_unusable_device_is_rejected_before_training(device):
    if device != "gpu" and torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    X, y = _frame(n=40)
    with pytest.raises(ValueError, match=rf"device='{device}'.*device='cpu'|'cpu'"):
        TabularNetClassifier(**FAST, device=device).fit(X, y)


def test_classifier_rejects_single_class_and_bad_options():
    X, _ = _frame()
    with pytest.raises(ValueError, match="only one class"):
        TabularNetClassifier(**FAST).fit(X, np.zeros(len(X)))
    y = np.arange(len(X)) % 2
    with pytest.raises(ValueError, match="optimizer='nope' is not a known optimizer"):
        TabularNetClassifier(**FAST, optimizer="nope").fit(X, y)
    with pytest.raises(ValueError, match=r"hidden_sizes=\(8, 0\) is invalid"):
        TabularNetClassifier(**{**FAST, "hidden_sizes": (8, 0)}).fit(X, y)
    with pytest.raises(ValueError, match="adversarial"):
        TabularNetClassifier(**FAST, adversarial="fast").fit(X, y)


def test_classifier_learns_with_tricks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    clf = TabularNetClassifier(
        hidden_sizes=(16,),
        max_epochs=20,
        lr=0.01,
        batch_size=32,
        warmup=0.1,
        ema=0.9,
        adversarial="fgm",
        rdrop_alpha=0.5,
        random_state=0,
    )
    assert clf.fit(X[:300], y[:300]).score(X[300:], y[300:]) > 0.9
