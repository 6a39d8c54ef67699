"""The README's commands are the ones CI and users run."""

import re
import sys
from pathlib import Path

import sktricks

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10; drop with 3.10 support
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(path):
    return re.findall(r"```bash\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def test_ci_runs_readme_test_command():
    install_and_run, test_command = [
        b.strip() for b in _bash_blocks(ROOT / "README.md")
    ]
    assert "sktricks bench" in install_and_run
    assert "pytest" in test_command
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_chinese_readme_has_same_commands():
    english = [b.strip() for b in _bash_blocks(ROOT / "README.md")]
    chinese = [b.strip() for b in _bash_blocks(ROOT / "README.zh-CN.md")]
    assert chinese == english


def test_version_defined_once():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", sktricks.__version__)


def test_setup_cfg_repeats_nothing_from_pyproject():
    setup_cfg = (ROOT / "setup.cfg").read_text()
    for section in ["[metadata]", "[options]", "[mypy]", "[flake8]"]:
        assert section not in setup_cfg
