"""The emulator is an independent device model: it must never import the client library."""

from __future__ import annotations

import ast
from pathlib import Path

EMULATOR = Path(__file__).resolve().parents[1] / "emulator"


def test_emulator_never_imports_custom_components() -> None:
    offenders = []
    for path in sorted(EMULATOR.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if "custom_components" in n or n.split(".")[0] in ("raritan", "unittest")
            ]
        assert "MagicMock" not in path.read_text()
        assert "import_module(" not in path.read_text()
    assert offenders == []
