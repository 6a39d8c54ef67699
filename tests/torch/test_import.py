"""sktricks never imports torch unless sktricks.torch is used."""

import subprocess
import sys

import pytest


def _run(code):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )


def test_import_sktricks_subpackages_without_torch():
    # walk_packages imports every package it descends into, so the walk
    # starts below the top level, where sktricks.torch is left out.
    code = (
        "import importlib, pkgutil, sys, sktricks\n"
        "for top in pkgutil.iter_modules(sktricks.__path__, 'sktricks.'):\n"
        "    if top.name == 'sktricks.torch':\n"
        "        continue\n"
        "    module = importlib.import_module(top.name)\n"
        "    if top.ispkg:\n"
        "        prefix = top.name + '.'\n"
        "        for info in pkgutil.walk_packages(module.__path__, prefix):\n"
        "            importlib.import_module(info.name)\n"
        "extras = ('torch', 'skorch', 'pytorch_optimizer')\n"
        "loaded = [m for m in extras if m in sys.modules]\n"
        "print(loaded)\n"
    )
    completed = _run(code)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


@pytest.mark.parametrize("missing", ["torch", "skorch", "pytorch_optimizer"])
def test_torch_subpackage_names_extra_when_missing(missing):
    # A None entry in sys.modules makes "import <missing>" raise ImportError,
    # as if the package were not installed.
    code = (
        "import sys\n"
        f"sys.modules[{missing!r}] = None\n"
        "try:\n"
        "    import sktricks.torch\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    completed = _run(code)
    assert completed.returncode == 0, completed.stderr
    assert 'pip install "sktricks[torch]"' in completed.stdout
    assert repr(missing) in completed.stdout
