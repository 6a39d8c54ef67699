"""Side-by-side timings of sktricks.explain against shap and lime used directly.

Run: python benchmarks/bench_explain.py [--repeats 3] [--lime-rows 100]

1. ShapExplainer on Pipeline(ColumnTransformer, LightGBM) with 10,000 rows
   x 30 input columns, against shap.TreeExplainer on the already transformed
   matrix (the peer's transform is not timed). Target ratio <= 1.10.
2. LimeExplainer.explain_many on 100 rows against a plain loop over
   lime's LimeTabularExplainer.explain_instance. Target ratio <= 1.10.
3. explain_many with n_jobs=2 against n_jobs=1. Target speed-up >= 1.6.

The two sides of each pair run interleaved in one process and the median
of the per-repeat ratios is reported.
"""

from __future__ import annotations

import argparse
import time
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import shap
from lime.lime_tabular import LimeTabularExplainer
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sktricks.explain import LimeExplainer, ShapExplainer


def make_data(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    numeric = pd.DataFrame(
        rng.normal(size=(n_rows, 24)), columns=[f"num{i}" for i in range(24)]
    )
    labels = pd.DataFrame(
        {
            f"cat{i}": pd.Series(rng.choice(list("abcdef"), n_rows), dtype="str")
            for i in range(6)
        }
    )
    X = pd.concat([numeric, labels], axis=1)
    logit = X["num0"] - X["num1"] * X["num2"] + (X["cat0"] == "a") * 1.5
    y = (logit + rng.normal(0, 0.5, n_rows) > 0).astype(int).to_numpy()
    return X, y


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def bench_shap(repeats: int) -> None:
    X, y = make_data(10_000)
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), [c for c in X.columns if c.startswith("num")]),
            ("cat", OneHotEncoder(), [c for c in X.columns if c.startswith("cat")]),
        ]
    )
    model = lgb.LGBMClassifier(n_estimators=100, verbose=-1, random_state=0)
    pipeline = Pipeline([("pre", pre), ("model", model)]).fit(X, y)
    Xt = pipeline[:-1].transform(X)

    def peer() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            shap.TreeExplainer(model).shap_values(Xt)

    def ours() -> None:
        ShapExplainer(pipeline).explain(X)

    peer()
    ours()
    ratios, ours_times, peer_times = [], [], []
    for _ in range(repeats):
        peer_time = timed(peer)
        ours_time = timed(ours)
        ratios.append(ours_time / peer_time)
        ours_times.append(ours_time)
        peer_times.append(peer_time)
    print(
        f"SHAP 10,000 x 30 pipeline: ShapExplainer {np.median(ours_times):.3f} s, "
        f"shap.TreeExplainer on transformed {np.median(peer_times):.3f} s, "
        f"ratio {np.median(ratios):.3f} (target <= 1.10)"
    )


def bench_lime(repeats: int, n_rows: int) -> None:
    X, y = make_data(2_000, seed=1)
    X = X[[c for c in X.columns if c.startswith("num")]].iloc[:, :10]
    model = lgb.LGBMClassifier(n_estimators=50, verbose=-1, random_state=0, n_jobs=1)
    pipeline = Pipeline([("scale", StandardScaler()), ("model", model)]).fit(X, y)
    rows = X.iloc[:n_rows]
    columns = list(X.columns)

    def predict(data: np.ndarray) -> np.ndarray:
        return pipeline.predict_proba(pd.DataFrame(data, columns=columns))

    def peer() -> None:
        explainer = LimeTabularExplainer(
            X.to_numpy(), feature_names=columns, class_names=["0", "1"], random_state=0
        )
        for i in range(len(rows)):
            row = rows.iloc[i]
            label = int(pipeline.predict(rows.iloc[[i]])[0])
            explainer.explain_instance(row.to_numpy(), predict, labels=(label,))

    def ours(n_jobs: int | None = None) -> None:
        LimeExplainer(pipeline, X, random_state=0).explain_many(rows, n_jobs=n_jobs)

    ours(n_jobs=2)
    ratios, parallel_speedups = [], []
    for _ in range(repeats):
        peer_time = timed(peer)
        serial_time = timed(ours)
        parallel_time = timed(lambda: ours(n_jobs=2))
        ratios.append(serial_time / peer_time)
        parallel_speedups.append(serial_time / parallel_time)
        print(
            f"  repeat: lime loop {peer_time:.2f} s, explain_many {serial_time:.2f} s, "
            f"n_jobs=2 {parallel_time:.2f} s"
        )
    print(
        f"LIME {n_rows} rows: explain_many / raw lime loop ratio "
        f"{np.median(ratios):.3f} (target <= 1.10); n_jobs=2 speed-up over "
        f"n_jobs=1 {np.median(parallel_speedups):.2f}x (target >= 1.6)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per pair")
    parser.add_argument("--lime-rows", type=int, default=100, help="rows LIME explains")
    args = parser.parse_args()
    bench_shap(args.repeats)
    bench_lime(args.repeats, args.lime_rows)


if __name__ == "__main__":
    main()
