"""The layers hold (README, "Architecture"): import-linter keeps the content model from
importing features, and features from importing each other."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"


def lint(source: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(source)}  # this copy of broadsheet, not the installed
    return subprocess.run([LINT, "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_layers_hold(tmp_path):
    done = lint(ROOT / "src")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "KEPT" in done.stdout


def test_an_import_across_a_layer_fails_naming_it(tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "broadsheet", copy / "broadsheet",
                    ignore=shutil.ignore_patterns("__pycache__"))
    model = copy / "broadsheet" / "articles" / "models.py"
    crossing = "\nfrom broadsheet.comments import comment_counts  # noqa\n"
    model.write_text(model.read_text() + crossing)
    done = lint(copy)
    assert done.returncode != 0
    assert "broadsheet.articles is not allowed to import broadsheet.comments" in done.stdout
    assert "broadsheet.articles.models -> broadsheet.comments.comment_counts" in done.stdout
