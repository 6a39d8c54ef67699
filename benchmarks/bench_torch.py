"""Cost and effect of each neural trick in sktricks.torch, side by side.

Part 1 times one training step (forward, backward, optimizer step and the
per-batch callbacks) of the same network with each trick and with plain
training, interleaved round by round in this process, and prints each
trick's median time ratio to plain training. Part 2 fits
``TabularNetClassifier`` with each trick on three bundled OpenML datasets
over several seeds and prints the test ROC AUC (mean and standard
deviation) next to plain training.

Run from the repository root::

    python benchmarks/bench_torch.py            # both parts
    python benchmarks/bench_torch.py --quick    # smaller, for a smoke test
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from importlib.metadata import version

import numpy as np
import pandas as pd
import sklearn
import skorch
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from sktricks.datasets import load_openml
from sktricks.torch import TabularNetClassifier

# Targets for the step-time ratio to plain training.
TIME_TARGETS = {"fgm": 2.2, "pgd (3 steps)": 4.5, "ema": 1.15, "lookahead": 1.1}

TIME_CONFIGS = {
    "plain": {},
    "fgm": {"adversarial": "fgm"},
    "pgd (3 steps)": {"adversarial": "pgd", "adv_steps": 3},
    "freelb (3 steps)": {"adversarial": "freelb", "adv_steps": 3},
    "ema": {"ema": 0.99},
    "lookahead": {"lookahead": True},
    "rdrop": {"rdrop_alpha": 1.0},
    "mixup": {"mixup_alpha": 0.4},
    "warmup": {"warmup": 0.1},
}

QUALITY_CONFIGS = {
    "plain": {},
    "fgm": {"adversarial": "fgm"},
    "pgd": {"adversarial": "pgd"},
    "freelb": {"adversarial": "freelb"},
    "ema 0.99": {"ema": 0.99},
    "lookahead": {"lookahead": True},
    "adan": {"optimizer": "adan"},
    "warmup+cosine": {"warmup": 0.1, "lr_decay": "cosine"},
    "rdrop 1.0": {"rdrop_alpha": 1.0},
    "mixup 0.4": {"mixup_alpha": 0.4},
    "label smoothing 0.1": {"label_smoothing": 0.1},
    "focal": {"loss": "focal"},
}

DATASETS = ("credit-g", "diabetes", "blood-transfusion-service-center")

NET = {"hidden_sizes": (128, 64), "batch_size": 128, "lr": 2e-3, "dropout": 0.1}


def _synthetic(n_rows=2048, n_numeric=20, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, n_numeric)))
    X.columns = [f"x{i}" for i in range(n_numeric)]
    for j in range(2):
        X[f"c{j}"] = pd.Categorical(rng.integers(0, 20, size=n_rows))
    y = (X["x0"] + X["x1"] * X["x2"] > 0).astype(int).to_numpy()
    return X, y


def time_steps(n_rounds: int, steps_per_round: int) -> dict[str, float]:
    """Return each trick's median per-round step-time ratio to plain training."""
    X, y = _synthetic()
    nets = {}
    batch = None
    for name, tricks in TIME_CONFIGS.items():
        clf = TabularNetClassifier(
            **{**NET, "batch_size": 256}, max_epochs=1, random_state=0, **tricks
        )
        clf.fit(X, y)
        nets[name] = clf.net_
        if batch is None:
            data = clf._encode_X(X.iloc[:256], reset=False)
            batch = (data, torch.as_tensor(y[:256].copy()))

    torch.set_num_threads(1)
    ratios: dict[str, list[float]] = {name: [] for name in TIME_CONFIGS}
    for _ in range(n_rounds):
        seconds = {}
        for name, net in nets.items():
            net.module_.train()
            start = time.perf_counter()
            for _ in range(steps_per_round):
                net.train_step(batch)
                net.notify("on_batch_end", batch=batch, training=True)
            seconds[name] = time.perf_counter() - start
        for name in nets:
            ratios[name].append(seconds[name] / seconds["plain"])
    return {name: statistics.median(values) for name, values in ratios.items()}


def quality(n_seeds: int, max_epochs: int) -> pd.DataFrame:
    """Return the test ROC AUC of each trick on each dataset and seed."""
    rows = []
    for dataset_name in DATASETS:
        dataset = load_openml(dataset_name)
        y = dataset.target.cat.codes.to_numpy()
        # The nets reject NaN; these datasets have none, checked here.
        if dataset.data.select_dtypes("number").isna().any().any():
            raise ValueError(f"{dataset_name} has missing values; impute first.")
        for seed in range(n_seeds):
            X_train, X_test, y_train, y_test = train_test_split(
                dataset.data, y, test_size=0.25, stratify=y, random_state=seed
            )
            for name, tricks in QUALITY_CONFIGS.items():
                clf = TabularNetClassifier(
                    **NET, max_epochs=max_epochs, random_state=seed, **tricks
                )
                clf.fit(X_train, y_train)
                auc = roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1])
                rows.append(
                    {"dataset": dataset_name, "trick": name, "seed": seed, "auc": auc}
                )
    return pd.DataFrame(rows)


def _machine() -> str:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"nproc={os.cpu_count()}, CPU: {cpu}, Python {platform.python_version()}, "
        f"torch {torch.__version__}, skorch {skorch.__version__}, "
        f"pytorch-optimizer {version('pytorch_optimizer')}, "
        f"scikit-learn {sklearn.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--seeds", type=int, default=None, help="seeds per dataset")
    parser.add_argument("--epochs", type=int, default=None, help="epochs per fit")
    args = parser.parse_args()
    n_rounds, steps, n_seeds, epochs = (3, 5, 1, 3) if args.quick else (15, 20, 5, 30)
    n_seeds = args.seeds or n_seeds
    epochs = args.epochs or epochs

    print(_machine())
    print(
        f"\n## Step time relative to plain training ({n_rounds} rounds x {steps} steps,"
    )
    print("batch 256, MLP (128, 64), 20 numeric + 2 category columns, 1 thread)\n")
    print("| trick | time ratio (median) | target |")
    print("| --- | --- | --- |")
    for name, ratio in time_steps(n_rounds, steps).items():
        target = TIME_TARGETS.get(name)
        verdict = (
            ""
            if target is None
            else f"≤ {target}: {'met' if ratio <= target else 'MISSED'}"
        )
        print(f"| {name} | {ratio:.2f}x | {verdict} |")

    if args.skip_quality:
        return
    results = quality(n_seeds, epochs)
    print(f"\n## Test ROC AUC, mean ± std over {n_seeds} seeds ({epochs} epochs)\n")
    summary = results.groupby(["trick", "dataset"], sort=False)["auc"].agg(
        ["mean", "std"]
    )
    table = summary.apply(
        lambda r: f"{r['mean']:.4f} ± {r['std']:.4f}", axis=1
    ).unstack()
    plain = results[results.trick == "plain"].set_index(["dataset", "seed"])["auc"]
    delta = results.set_index(["dataset", "seed"])
    delta = (
        (delta["auc"] - plain.reindex(delta.index).to_numpy())
        .groupby(delta["trick"].to_numpy())
        .mean()
    )
    table["mean Δ vs plain"] = delta.reindex(table.index).map(lambda v: f"{v:+.4f}")
    print(table.to_markdown())


if __name__ == "__main__":
    main()
