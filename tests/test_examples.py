"""Run every example in examples/ as a user would, in a fresh interpreter."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def test_examples_exist():
    assert SCRIPTS or NOTEBOOKS


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_example_script_runs(script, tmp_path):
    completed = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_example_notebook_runs(notebook, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    document = nbformat.read(notebook, as_version=4)
    # A notebook lists the optional packages it needs in its metadata,
    # for example {"sktricks": {"requires": ["torch"]}}.
    for module in document.metadata.get("sktricks", {}).get("requires", []):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{notebook.name} needs {module}, which is not installed")
    NotebookClient(
        document,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
