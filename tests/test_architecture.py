"""Architecture rules of the package, checked on the source (AST), not by importing it.

Rules (docs/architecture.md, "Import rules"):

* no import cycle between modules of ``custom_components/raritan_pdu`` (library and glue);
* no module imports an underscore-prefixed name from another module of the package (nor reads
  one as ``module._name``);
* the library ``xerus/`` imports nothing from Home Assistant and nothing from the glue;
* the emulator ``tests/emulator/`` imports neither the library nor the integration.

What counts as an import edge: every import that runs. A module-level import runs on import; an
import inside a function runs when the function does (it only delays the cycle, as the function-
level import of ``discovery`` in ``client`` once did); importing ``a.b.c`` also runs the
``__init__`` of ``a.b`` unless the importer lives in it. An import under ``if TYPE_CHECKING:``
never runs: it is no runtime edge, and in the glue it may point back (Home Assistant's pattern for
a typed ``ConfigEntry``). The library is layered, so there a TYPE_CHECKING import counts as an
edge too: ``discovery`` once imported ``client`` that way while ``client`` imported
``discovery``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "custom_components.raritan_pdu"
LIBRARY = f"{PACKAGE}.xerus"


class Kind(Enum):
    MODULE = "module level"
    FUNCTION = "inside a function"
    TYPE_CHECKING = "under TYPE_CHECKING"


@dataclass(frozen=True)
class Import:
    """One module importing another module of the tree (or names from it)."""

    importer: str
    target: str
    names: tuple[str, ...]
    line: int
    kind: Kind
    implicit: bool = False  # the __init__ of a package that importing a submodule runs


@dataclass
class Tree:
    """The modules below one package directory and their imports."""

    package: str
    modules: dict[str, Path] = field(default_factory=dict)
    packages: set[str] = field(default_factory=set)
    imports: list[Import] = field(default_factory=list)
    #: ``(module, line, text)`` of every ``module._name`` read of a module of the tree.
    private_reads: list[tuple[str, int, str]] = field(default_factory=list)
    #: ``(module, line, imported name)`` of every absolute import of a name outside the tree.
    external: list[tuple[str, int, str]] = field(default_factory=list)


def load_tree(directory: Path, package: str) -> Tree:
    tree = Tree(package)
    for path in sorted(directory.rglob("*.py")):
        parts = list(path.relative_to(directory).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
            tree.packages.add(".".join([package, *parts]))
        tree.modules[".".join([package, *parts])] = path
    for name, path in tree.modules.items():
        _Collector(tree, name).visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return tree


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


class _Collector(ast.NodeVisitor):
    def __init__(self, tree: Tree, module: str) -> None:
        self.tree = tree
        self.module = module
        self.kind = Kind.MODULE
        self.module_aliases: set[str] = set()  # local names bound to modules of the tree

    # -- context

    def _visit_in(self, kind: Kind, nodes: Iterable[ast.AST]) -> None:
        outer, self.kind = self.kind, kind if self.kind is Kind.MODULE else self.kind
        for node in nodes:
            self.visit(node)
        self.kind = outer

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        if _is_type_checking(node.test):
            self._visit_in(Kind.TYPE_CHECKING, node.body)
        else:
            for child in node.body:
                self.visit(child)
        for child in node.orelse:
            self.visit(child)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._visit_in(Kind.FUNCTION, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_in(Kind.FUNCTION, [node.body])

    # -- imports

    def _base(self, level: int, module: str | None) -> str:
        here = self.module
        package = here if here in self.tree.packages else here.rpartition(".")[0]
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - (level - 1)])
        return f"{base}.{module}" if module else base

    def _in_tree(self, name: str) -> bool:
        return name == self.tree.package or name.startswith(self.tree.package + ".")

    def _add(self, target: str, names: tuple[str, ...], line: int) -> None:
        self.tree.imports.append(Import(self.module, target, names, line, self.kind))
        # Importing a.b.c runs a/__init__ and a/b/__init__ first, unless the importer is in them.
        parent = target.rpartition(".")[0]
        while self._in_tree(parent) and not (self.module + ".").startswith(parent + "."):
            self.tree.imports.append(Import(self.module, parent, (), line, self.kind, True))
            parent = parent.rpartition(".")[0]

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if self._in_tree(alias.name):
                self._add(alias.name, (), node.lineno)
                if alias.asname:
                    self.module_aliases.add(alias.asname)
            else:
                self.tree.external.append((self.module, node.lineno, alias.name))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._base(node.level, node.module) if node.level else (node.module or "")
        if not self._in_tree(base):
            self.tree.external.append((self.module, node.lineno, base))
            return
        names: list[str] = []
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in self.tree.modules:
                # a private module is a private name too
                private = (alias.name,) if _private(alias.name) else ()
                self._add(submodule, private, node.lineno)
                self.module_aliases.add(alias.asname or alias.name)
            else:
                names.append(alias.name)
        if names:  # names read from ``base`` itself (its __init__ for a package)
            self._add(base, tuple(names), node.lineno)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if (
            isinstance(node.value, ast.Name)
            and node.value.id in self.module_aliases
            and _private(node.attr)
        ):
            text = f"{node.value.id}.{node.attr}"
            self.tree.private_reads.append((self.module, node.lineno, text))
        self.generic_visit(node)


# --- checks -----------------------------------------------------------------------------------


def import_cycles(imports: Iterable[Import]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.importer != imp.target:
            graph.setdefault(imp.importer, set()).add(imp.target)
            graph.setdefault(imp.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(cycles)


def runtime_imports(tree: Tree) -> Iterator[Import]:
    return (imp for imp in tree.imports if imp.kind is not Kind.TYPE_CHECKING)


def library_imports(tree: Tree, library: str) -> Iterator[Import]:
    """Every import between library modules, TYPE_CHECKING ones included."""
    inside = library + "."
    for imp in tree.imports:
        if (imp.importer + ".").startswith(inside) and (imp.target + ".").startswith(inside):
            yield imp


def private_name_imports(tree: Tree) -> list[str]:
    found = [
        f"{imp.importer} line {imp.line}: {name} from {imp.target}"
        for imp in tree.imports
        for name in imp.names
        if _private(name) and imp.target != imp.importer
    ]
    found += [f"{module} line {line}: {text}" for module, line, text in tree.private_reads]
    return sorted(found)


def library_violations(tree: Tree, library: str) -> list[str]:
    inside = library + "."
    found = [
        f"{module} line {line}: imports {name}"
        for module, line, name in tree.external
        if (module + ".").startswith(inside) and name.split(".")[0] == "homeassistant"
    ]
    found += [
        f"{imp.importer} line {imp.line}: imports the glue module {imp.target}"
        for imp in tree.imports
        if (imp.importer + ".").startswith(inside)
        and not (imp.target + ".").startswith(inside)
        and not imp.implicit
    ]
    return sorted(found)


def _describe(cycles: list[list[str]], imports: Iterable[Import]) -> str:
    lines = []
    edges = list(imports)
    for cycle in cycles:
        members = set(cycle)
        lines.append(" <-> ".join(cycle))
        lines.extend(
            f"    {imp.importer} line {imp.line} ({imp.kind.value}) -> {imp.target}"
            for imp in edges
            if imp.importer in members and imp.target in members
        )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def package() -> Tree:
    return load_tree(ROOT / "custom_components" / "raritan_pdu", PACKAGE)


def test_no_runtime_import_cycle(package: Tree) -> None:
    cycles = import_cycles(runtime_imports(package))
    assert not cycles, _describe(cycles, runtime_imports(package))


def test_library_is_layered(package: Tree) -> None:
    """No cycle in the library even counting TYPE_CHECKING imports."""
    cycles = import_cycles(library_imports(package, LIBRARY))
    assert not cycles, _describe(cycles, library_imports(package, LIBRARY))


def test_no_private_name_imported_from_another_module(package: Tree) -> None:
    assert private_name_imports(package) == []


def test_library_imports_neither_home_assistant_nor_the_glue(package: Tree) -> None:
    assert library_violations(package, LIBRARY) == []


def test_emulator_imports_neither_library_nor_integration() -> None:
    emulator = load_tree(ROOT / "tests" / "emulator", "tests.emulator")
    found = [
        f"{module} line {line}: {name}"
        for module, line, name in emulator.external
        if name.split(".")[0] == "custom_components"
    ]
    assert found == []
    assert emulator.modules, "the emulator sources were not found"


# --- the checks find what they are for ----------------------------------------------------------

#: The shape of the library before issue #7: client and discovery imported each other (one import
#: inside a function, the other under TYPE_CHECKING) and discovery imported private helpers.
OLD_LIBRARY = {
    "__init__.py": "",
    "coordinator.py": (
        "from .xerus.client import Client\n"
        "from .xerus.rpc import decode_sub_response\n"
    ),
    "xerus/__init__.py": "from .client import Client\n",
    "xerus/rpc.py": "def decode_sub_response(x):\n    return x\n",
    "xerus/models.py": "def _obj(v):\n    return v\n\n\ndef _str(d, k):\n    return d[k]\n",
    "xerus/client.py": (
        "from . import models\n"
        "\n\n"
        "class Client:\n"
        "    async def discover(self):\n"
        "        from .discovery import discover_topology\n"
        "\n"
        "        return await discover_topology(self, models._obj)\n"
    ),
    "xerus/discovery.py": (
        "from typing import TYPE_CHECKING\n"
        "\n"
        "from .models import _obj, _str\n"
        "\n"
        "if TYPE_CHECKING:\n"
        "    from .client import Client\n"
        "\n\n"
        "async def discover_topology(client: 'Client', f): ...\n"
    ),
    "xerus/helpers.py": "import homeassistant.core\nfrom ..coordinator import Client\n",
}


def _write(tmp_path: Path, files: dict[str, str]) -> Tree:
    for name, text in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return load_tree(tmp_path / "pkg", "pkg")


def test_checks_catch_the_old_library(tmp_path: Path) -> None:
    tree = _write(tmp_path, OLD_LIBRARY)
    assert import_cycles(library_imports(tree, "pkg.xerus")) == [
        ["pkg.xerus.client", "pkg.xerus.discovery"]
    ]
    assert private_name_imports(tree) == [
        "pkg.xerus.client line 8: models._obj",
        "pkg.xerus.discovery line 3: _obj from pkg.xerus.models",
        "pkg.xerus.discovery line 3: _str from pkg.xerus.models",
    ]
    assert library_violations(tree, "pkg.xerus") == [
        "pkg.xerus.helpers line 1: imports homeassistant.core",
        "pkg.xerus.helpers line 2: imports the glue module pkg.coordinator",
    ]
    # At runtime there is no cycle (discovery imports client only for type checking): only the
    # layered library check sees it.
    assert import_cycles(runtime_imports(tree)) == []


def test_function_level_imports_count_type_checking_ones_do_not(tmp_path: Path) -> None:
    tree = _write(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "def f():\n    from .b import x\n    return x\n",
            "b.py": "from .a import f\nx = 1\n",
            "c.py": "from .d import y\n",
            "d.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n"
                "    from .c import z\n"
                "y = 1\n"
            ),
            "e/__init__.py": "from .f import g\n",
            "e/f.py": "g = 1\n",
            "h.py": "from .e.f import g\n",
        },
    )
    assert import_cycles(runtime_imports(tree)) == [["pkg.a", "pkg.b"]]
    assert import_cycles(tree.imports) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
    # importing pkg.e.f runs pkg/e/__init__ first
    assert any(i.importer == "pkg.h" and i.target == "pkg.e" and i.implicit for i in tree.imports)
