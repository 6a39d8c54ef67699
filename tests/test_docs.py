"""The documentation sources cover the public API and quote real numbers.

These checks read the files under docs/ with their own parsing, apart from
docs/conf.py, so they run without Sphinx installed.
"""

import ast
import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import pytest

import sktricks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API = DOCS / "api"

# Subpackages that need an optional extra; their names are checked only
# when the extra is installed.
_EXTRAS = {"sktricks.torch": ("torch", "skorch", "pytorch_optimizer")}


def _installed(module_name):
    extra = _EXTRAS.get(module_name, ())
    return all(importlib.util.find_spec(module) for module in extra)


def _public_modules():
    names = ["sktricks"]
    for info in pkgutil.walk_packages(sktricks.__path__, prefix="sktricks."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        if _installed(info.name):
            names.append(info.name)
    return names


def _public_names():
    """Return ``{"sktricks.sub.Name": "sub"}`` for every name in an ``__all__``."""
    names = {}
    for module_name in _public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if not name.startswith("_"):
                names[f"{module_name}.{name}"] = module_name.split(".")[-1]
    return names


def _documented_names():
    """Return ``{"sktricks.sub.Name": page}`` for every autosummary entry."""
    documented = {}
    for page in sorted(API.glob("*.rst")):
        module = None
        in_autosummary = False
        for line in page.read_text(encoding="utf-8").splitlines():
            current = re.match(r"\.\. currentmodule:: (\S+)", line)
            if current:
                module = current.group(1)
            if line.startswith(".. autosummary::"):
                in_autosummary = True
                continue
            if in_autosummary and line and not line[0].isspace():
                in_autosummary = False
            entry = line.strip()
            if not in_autosummary or not entry or entry.startswith(":"):
                continue
            qualified = entry if entry.startswith("sktricks.") else f"{module}.{entry}"
            documented[qualified] = page.name
    return documented


def test_api_reference_lists_every_public_name():
    documented = _documented_names()
    missing = [
        f"{name}: add it to an autosummary block in docs/api/{subpackage}.rst"
        + ("" if (API / f"{subpackage}.rst").exists() else " (create that page)")
        for name, subpackage in sorted(_public_names().items())
        if name not in documented
    ]
    assert not missing, "missing from the API reference:\n" + "\n".join(missing)


def test_api_reference_lists_only_public_names():
    public = _public_names()
    stale = []
    for name, page in sorted(_documented_names().items()):
        module_name = name.rsplit(".", 1)[0]
        if importlib.util.find_spec(module_name) is None:
            continue  # a page written ahead of its subpackage
        if not _installed(module_name):
            continue
        if name not in public:
            stale.append(f"{name} (docs/api/{page}): not in {module_name}.__all__")
    assert not stale, "API pages list names that are not public:\n" + "\n".join(stale)


def test_api_reference_has_page_per_subpackage():
    subpackages = {subpackage for subpackage in _public_names().values()}
    subpackages.discard("sktricks")  # only __version__, not an API page
    pages = {page.stem for page in API.glob("*.rst")}
    assert subpackages <= pages, f"no API page for {sorted(subpackages - pages)}"


def _decimal_numbers(text):
    return set(re.findall(r"(?<![\w.])-?\d+\.\d+(?![\d.])", text))


@pytest.mark.parametrize(
    "page", sorted((DOCS / "user_guide").glob("*.rst")), ids=lambda path: path.name
)
def test_user_guide_numbers_come_from_results(page):
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    quoted = _decimal_numbers(page.read_text(encoding="utf-8"))
    invented = sorted(number for number in quoted if number not in results)
    assert not invented, (
        f"docs/user_guide/{page.name} quotes numbers that benchmarks/RESULTS.md "
        f"does not contain: {invented}"
    )


def test_chinese_quickstart_includes_readme():
    page = (DOCS / "zh_CN" / "quickstart.md").read_text(encoding="utf-8")
    assert "```{include} ../../README.zh-CN.md" in page


@pytest.mark.parametrize(
    "script", sorted((ROOT / "examples").glob("*.py")), ids=lambda path: path.name
)
def test_example_docstring_has_rst_title(script):
    # sphinx-gallery makes the docstring's first paragraph the page title,
    # and Sphinx reads it as a title only when it is underlined.
    docstring = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
    assert docstring, f"examples/{script.name} has no module docstring"
    lines = [*docstring.splitlines(), ""]
    assert re.fullmatch(r"=+", lines[1]), (
        f"examples/{script.name}: underline the first docstring line with '=' "
        "(at least as long as the line) so that the gallery page has a title"
    )
    assert len(lines[1]) >= len(lines[0]), (
        f"examples/{script.name}: the '=' underline is shorter than the title"
    )


def test_gallery_header_exists():
    # sphinx-gallery needs a header file in the examples directory.
    assert (ROOT / "examples" / "GALLERY_HEADER.rst").exists()
