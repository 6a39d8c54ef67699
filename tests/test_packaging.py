"""The built wheel ships the bundled datasets, their attribution and py.typed."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("sktricks-*.whl")
    return path


def test_wheel_contains_data_and_typing_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    manifest = json.loads(
        (ROOT / "sktricks" / "datasets" / "_data" / "manifest.json").read_text()
    )
    assert "sktricks/py.typed" in names
    assert "sktricks/datasets/_data/manifest.json" in names
    assert "sktricks/datasets/_data/README.md" in names
    for entry in manifest:
        path = f"sktricks/datasets/_data/{entry['file']}"
        assert (path in names) == entry["bundled"], path


def test_wheel_is_small_and_has_console_script(wheel):
    assert wheel.stat().st_size < 3_000_000
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [n for n in archive.namelist() if n.endswith("entry_points.txt")]
    assert "sktricks = sktricks.bench._cli:main" in archive.read(entry_points).decode()
