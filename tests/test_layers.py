"""The house is one-way: each layer imports only the layers below it (read from the source, not by running it).

utils/      the base: errors, io, lock, config, checkpoint, HTML, plotting, metrics, tables
data/       + utils
models/     + data, utils (networks and maths)
commands/   + models, data, utils (the application: the commands and what they share)
main.py     + all of them
"""

from __future__ import annotations

import ast
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
