"""Sphinx configuration of the sktricks documentation.

Build with ``make -C docs html`` (warnings are errors). The build needs no
network: there is no intersphinx, and the gallery and notebooks use the
datasets bundled with sktricks.
"""

import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
import shutil
import sys
from pathlib import Path

from sphinx.util import logging

sys.path.insert(0, str(Path(__file__).resolve().parent / "sphinxext"))

from figure_scraper import FigureObjectScraper

import sktricks

logger = logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
EXAMPLES = ROOT / "examples"

project = "sktricks"
author = "sktricks developers"
copyright = "sktricks developers"
version = release = sktricks.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_nb",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    # sphinx-gallery writes a notebook next to each rendered script, for
    # download; these are not pages.
    "auto_examples/*.ipynb",
    "**.ipynb_checkpoints",
]

html_theme = "pydata_sphinx_theme"
html_title = f"sktricks {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}

# API reference: one stub page per public name, written by autosummary from
# the lists in docs/api/*.rst.
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# Notebooks from examples/ run at build time. The cache keeps unchanged
# notebooks from running again in a local rebuild; CI starts without one.
nb_execution_mode = "cache"
nb_execution_cache_path = str(DOCS / "_build" / ".jupyter_cache")
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True


# --- Optional subpackages -------------------------------------------------
# An API page is built only when its subpackage can be imported: a page may
# be written ahead of its subpackage, and sktricks.torch needs the torch
# extra. Any other import error fails the build, through autosummary.

_EXTRA_MODULES = {"sktricks.torch": ("torch", "skorch", "pytorch_optimizer")}


def _page_is_built(module_name):
    if importlib.util.find_spec(module_name) is None:
        return False
    extra = _EXTRA_MODULES.get(module_name, ())
    return all(importlib.util.find_spec(module) for module in extra)


def _api_pages():
    """Map each API page (``api/<subpackage>.rst``) to its module name."""
    return {
        path: f"sktricks.{path.stem}"
        for path in sorted((DOCS / "api").glob("*.rst"))
        if path.stem != "index"
    }


for _page, _module in _api_pages().items():
    if not _page_is_built(_module):
        logger.info(f"[sktricks] skipping {_page.name}: {_module} is not installed")
        exclude_patterns.append(f"api/{_page.name}")


# --- API coverage ---------------------------------------------------------
# Every name in a public module's ``__all__`` must be listed on its API page,
# and a forgotten name fails the build because warnings are errors.
# tests/test_docs.py checks the same lists with its own code.

_AUTOSUMMARY_ENTRY = re.compile(r"^\s{3,}(~?[A-Za-z_][\w.]*)\s*$")


def _public_modules():
    names = ["sktricks"]
    for info in pkgutil.walk_packages(sktricks.__path__, prefix="sktricks."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return names


def _listed_names(page):
    """Return the names listed in the autosummary blocks of an API page."""
    listed = set()
    in_block = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith(".. autosummary::"):
            in_block = True
            continue
        if in_block and line and not line[0].isspace():
            in_block = False
        match = _AUTOSUMMARY_ENTRY.match(line) if in_block else None
        if match and not line.strip().startswith(":"):
            listed.add(match.group(1).split(".")[-1])
    return listed


def _check_api_coverage(app):
    pages = {module: page for page, module in _api_pages().items()}
    for module_name in _public_modules():
        if module_name.startswith("sktricks.torch") and not _page_is_built(
            "sktricks.torch"
        ):
            continue
        module = importlib.import_module(module_name)
        public = {name for name in getattr(module, "__all__", []) if name[0] != "_"}
        if not public:
            continue
        page = pages.get(module_name)
        if page is None:
            logger.warning(
                f"{module_name} has public names but no API page: create "
                f"docs/api/{module_name.split('.')[-1]}.rst listing "
                f"{sorted(public)}"
            )
            continue
        listed = _listed_names(page)
        for name in sorted(public - listed):
            logger.warning(
                f"{module_name}.{name} is missing from the API reference: "
                f"add it to an autosummary block in docs/api/{page.name}"
            )
        for name in sorted(listed - public):
            logger.warning(
                f"docs/api/{page.name} lists {name}, which is not in "
                f"{module_name}.__all__: remove it or export it"
            )


# --- Notebooks ------------------------------------------------------------
# myst-nb reads documents only inside docs/, so each build copies the
# notebooks of examples/ into docs/notebooks/ (not under version control).
# A notebook whose optional extra is missing is left out.


def _copy_notebooks(app):
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    wanted = set()
    for notebook in sorted(EXAMPLES.glob("*.ipynb")):
        metadata = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]
        missing = [
            module
            for module in metadata.get("sktricks", {}).get("requires", [])
            if importlib.util.find_spec(module) is None
        ]
        if missing:
            logger.info(f"[sktricks] skipping {notebook.name}: needs {missing}")
            continue
        wanted.add(notebook.name)
        copy = target / notebook.name
        if not copy.exists() or copy.read_bytes() != notebook.read_bytes():
            shutil.copy2(notebook, copy)
    for stale in target.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()


# --- Gallery --------------------------------------------------------------


sphinx_gallery_conf = {
    "examples_dirs": str(EXAMPLES),
    "gallery_dirs": "auto_examples",
    # Run every script, not only the ones named plot_*.py.
    "filename_pattern": r"\.py$",
    "ignore_pattern": r"__init__\.py",
    # Backreferences feed the "Gallery examples using ..." list on each
    # API page.
    "doc_module": ("sktricks",),
    "backreferences_dir": "api/generated/backreferences",
    "within_subsection_order": "FileNameSortKey",
    "capture_repr": ("_repr_html_", "__repr__"),
    # The figure-object scraper runs first, while pyplot still tracks its
    # own figures, so that it can tell the two kinds apart.
    "image_scrapers": (FigureObjectScraper(), "matplotlib"),
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "remove_config_comments": True,
    "min_reported_time": 1,
    "show_signature": False,
}


# --- Every example shows a figure or a table --------------------------------

_GALLERY_OUTPUT = re.compile(r"\.\. image-sg::|class=\"dataframe\"|<table")


_NOTEBOOK_CELL = re.compile(r'<div class="cell docutils container"')


def _notebook_page_shows_output(html):
    """Tell whether a rendered notebook has an image or table in a cell output."""
    for cell in _NOTEBOOK_CELL.split(html)[1:]:
        output = cell.partition('class="cell_output')[2]
        if "<img" in output or "<table" in output:
            return True
    return False


def _check_examples_show_output(app, exception):
    if exception is not None or app.builder.name != "html":
        return
    for script in sorted(EXAMPLES.glob("*.py")):
        page = DOCS / "auto_examples" / f"{script.stem}.rst"
        if not page.exists() or not _GALLERY_OUTPUT.search(page.read_text("utf-8")):
            logger.warning(
                f"examples/{script.name} shows no figure or table in the "
                "gallery: end a code cell with a DataFrame or draw a figure"
            )
    for notebook in sorted((DOCS / "notebooks").glob("*.ipynb")):
        page = Path(app.outdir) / "notebooks" / f"{notebook.stem}.html"
        if not page.exists() or not _notebook_page_shows_output(
            page.read_text("utf-8")
        ):
            logger.warning(
                f"examples/{notebook.name} shows no figure or table: "
                "end a cell with a DataFrame or a figure"
            )


# --- Docstrings and included files -----------------------------------------

# Class pages show the methods that sktricks defines, its private base
# classes included, and leave out those inherited from scikit-learn, torch
# or skorch: their docstrings refer to those projects' own glossaries and
# labels, which this build does not have. scikit-learn also adds
# ``set_<method>_request`` methods to each estimator class for metadata
# routing, with such docstrings.
_METADATA_REQUEST = re.compile(r"^set_\w+_request$")


def _skip_foreign_member(app, what, name, obj, skip, options):
    if what != "class":
        return None
    if _METADATA_REQUEST.match(name):
        return True
    function = inspect.unwrap(getattr(obj, "fget", None) or obj)
    module = getattr(function, "__module__", None)
    if module and not module.startswith("sktricks"):
        return True
    return None


# README.zh-CN.md links to files of the repository by relative path. In the
# included copy, a link to the built documentation points at its page, and
# other links point at the repository on GitHub.
_RELATIVE_LINK = re.compile(r"\]\((?![a-z]+:|#|/)([^)\s]+)\)")
_BUILT_PAGE = re.compile(r"docs/_build/html/(.+)\.html")
_REPOSITORY_FILES = "https://github.com/sktricks/sktricks/blob/main/"


def _rewrite_link(match):
    target = match.group(1)
    page = _BUILT_PAGE.fullmatch(target)
    if page:
        return f"](/{page.group(1)}.rst)"
    return f"]({_REPOSITORY_FILES}{target})"


def _link_repository_files(app, relative_path, parent_docname, content):
    if Path(relative_path).name.startswith("README"):
        content[0] = _RELATIVE_LINK.sub(_rewrite_link, content[0])


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_member)
    app.connect("include-read", _link_repository_files)
    app.connect("builder-inited", _check_api_coverage)
    app.connect("builder-inited", _copy_notebooks)
    app.connect("build-finished", _check_examples_show_output)
