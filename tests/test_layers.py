"""The layers hold (README, "Architecture"): import-linter keeps the content model from
importing features, and features from importing each other."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tokenize
from fnmatch import fnmatch
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


# Where an import may sit inside a function (file under src/broadsheet, function): code that
# runs before the app registry is ready, or before Django is set up. Each still says why.
DEFERRED_IMPORTS = {("*/apps.py", "ready"), ("frontpage/apps.py", "_ensure_home"),
                    ("publishing/apps.py", "_ensure_roles"), ("cli.py", "main"),
                    ("rsgi.py", "__rsgi_init__"), ("ticks.py", "running")}


def test_imports_inside_functions_are_few_and_say_why():
    """No import hides in a function to dodge a cycle: one there is in DEFERRED_IMPORTS and
    has a comment between its def and itself (or at its end) saying why."""
    src = ROOT / "src" / "broadsheet"
    wrong = []
    for path in sorted(src.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        rel = path.relative_to(src).as_posix()
        text = path.read_text()
        with path.open("rb") as f:
            comments = {t.start[0] for t in tokenize.tokenize(f.readline)
                        if t.type == tokenize.COMMENT}

        def visit(node, fn=None, rel=rel, comments=comments):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    visit(child, child)
                    continue
                if fn is not None and isinstance(child, ast.Import | ast.ImportFrom):
                    allowed = any(fnmatch(rel, f) and fn.name == name
                                  for f, name in DEFERRED_IMPORTS)
                    said = any(fn.lineno <= n <= child.lineno for n in comments)
                    if not (allowed and said):
                        wrong.append(f"{rel}:{child.lineno} in {fn.name}()")
                visit(child, fn)

        visit(ast.parse(text))
    assert not wrong, ("imports inside functions (move to the top, or allow and say why): "
                       + ", ".join(wrong))
