"""The house is one-way: each layer imports only the layers below it (read from the source, not by running it).

utils/      the base: errors, io, lock, config, checkpoint, HTML, pictures, charts, metrics, tables
data/       + utils
models/     + data, utils (networks and maths)
commands/   + models, data, utils (the application: the commands and what they share)
main.py     + all of them
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

FIRST_PARTY = {"utils", "data", "models", "commands", "main", "benchmarks", "tests"}
ALLOWED = {
    "utils": {"utils"},
    "data": {"utils", "data"},
    "models": {"utils", "data", "models"},
    "commands": {"utils", "data", "models", "commands"},
}


def first_party_imports(path: Path) -> set[str]:
    """Top-level first-party packages that a file imports, anywhere in it (functions included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & FIRST_PARTY


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below_it(layer: str):
    files = sorted((ROOT / layer).glob("*.py"))
    assert files, f"no source files in {layer}/"
    wrong = {
        str(path.relative_to(ROOT)): sorted(bad)
        for path in files
        if (bad := first_party_imports(path) - ALLOWED[layer])
    }
    assert wrong == {}, f"{layer}/ may import only {sorted(ALLOWED[layer])}"


def test_the_check_sees_an_upward_import(tmp_path: Path):
    """The checker itself: an import inside a function counts, a relative or third-party one does not."""
    source = tmp_path / "m.py"
    lines = ["import numpy", "from . import x", "def f():", "    from models.vae import VAE", "    import data.picture"]
    source.write_text("\n".join(lines) + "\n")
    assert first_party_imports(source) == {"models", "data"}


def test_generate_loads_neither_scikit_learn_nor_matplotlib():
    """`generate` is a fresh process a user waits for: the evaluation's and the charts' libraries stay out of it."""
    probe = "import sys, commands.generate; print([m for m in ('sklearn', 'matplotlib') if m in sys.modules])"
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]", found.stdout


def test_no_file_over_300_lines_and_no_function_over_60():
    """The house's size rules, over every Python file of the project."""
    too_long = []
    for path in sorted(p for layer in (*ALLOWED, "benchmarks", "tests") for p in (ROOT / layer).glob("*.py")):
        source = path.read_text(encoding="utf-8")
        if source.count("\n") > 300:
            too_long.append(f"{path.name}: {source.count(chr(10))} lines")
        functions = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        for node in functions:
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > 60:
                too_long.append(f"{path.name}: {node.name}() is {lines} lines")
    assert too_long == []
