"""The apps form one layer order, bottom to top; a module imports only from its own layer and the layers below.

Every module under sotiem/ is read with `ast` (imports at any depth: module level, inside functions, under
TYPE_CHECKING, relative ones, `import_module("sotiem....")`). Tests and migrations may import anything. An app
that owns rows of a person tells `people` through people.hooks instead of being imported by it. docs/design.md
shows LAYERS as written here (checked below).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sotiem"

# bottom to top: each entry is a top-level name under sotiem/ (an app, a package or a module)
LAYERS: list[tuple[str, ...]] = [
    ("lib",),  # pure Python, no Django
    ("db",),  # the bulk writer every layer's services use
    ("api_errors",),  # the API's declared refusals, used by each app's router
    ("audit",),
    ("places",),
    ("accounts",),
    ("people",),
    ("immunizations",),
    ("certificates",),
    ("interop",),
    ("linkage",),
    ("synth",),
    ("core",),  # the landing page and the demo
    # assembly: settings, URLs and the API put the apps together; `testing` builds personas from every app
    ("settings", "urls", "api", "wsgi", "testing", "__main__", "__init__"),
]
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def documented_layers(text: str) -> list[tuple[str, ...]]:
    """The layers a page lists under "## Layers", bottom first: one numbered line per layer, its units in backticks
    before an optional " — " description."""
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    return [
        tuple(re.findall(r"`([^`]+)`", line.split(" — ", 1)[0]))
        for line in section.splitlines()
        if re.match(r"\d+\. ", line)
    ]


def _exempt(relative: Path) -> bool:
    return "tests" in relative.parts or "migrations" in relative.parts


def _unit(module: str) -> str:
    """The top-level name under sotiem a dotted module belongs to ("sotiem" alone is the package's __init__)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(tree: ast.AST, *, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, dotted name) of everything the module imports from sotiem, at any depth."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            if origin == "sotiem":  # `from sotiem import people`: each name is a unit
                found += [(node.lineno, f"sotiem.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, origin))
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
        ):
            found.append((node.lineno, node.args[0].value))
    return [(line, name) for line, name in found if name == "sotiem" or name.startswith("sotiem.")]


def upward_imports(source: str, *, path: Path) -> list[str]:
    """One message for each import in `source` (the module at sotiem/`path`) that points up the layer order."""
    parts = path.with_suffix("").parts
    is_package = parts[-1] == "__init__"
    module = ".".join(["sotiem", *(parts[:-1] if is_package else parts)])
    own = _unit(module)
    if own not in RANK:
        return [
            f"sotiem/{path}: `{own}` is in no layer; add it to LAYERS in tests/test_import_graph.py and to "
            f"docs/design.md"
        ]
    problems = []
    for line, name in _imported(ast.parse(source), module=module, is_package=is_package):
        target = _unit(name)
        if target not in RANK:
            problems.append(f"sotiem/{path}:{line}: {module} imports {name}, and `{target}` is in no layer")
        elif RANK[target] > RANK[own]:
            below = ", ".join(unit for units in LAYERS[: RANK[own] + 1] for unit in units)
            problems.append(
                f"sotiem/{path}:{line}: {module} imports {name}, which points up the layer order: "
                f"`{own}` may import only from {below} (a lower app is told through a hook, e.g. "
                f"people.hooks, not imported)"
            )
    return problems


def test_no_module_imports_up_the_layer_order():
    problems: list[str] = []
    checked = 0
    for file in sorted(PACKAGE.rglob("*.py")):
        relative = file.relative_to(PACKAGE)
        if not _exempt(relative):
            problems += upward_imports(file.read_text(encoding="utf-8"), path=relative)
            checked += 1
    assert checked > 100  # the walk did find the code
    assert not problems, "\n".join(problems)


def test_every_app_and_top_level_module_is_in_a_layer():
    names = {
        p.name if p.is_dir() else p.stem
        for p in PACKAGE.iterdir()
        if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"
    }
    assert names - set(RANK) == set()


def test_the_design_document_shows_the_order_this_test_enforces():
    shown = documented_layers((ROOT / "docs" / "design.md").read_text(encoding="utf-8"))
    assert shown == [tuple(unit for unit in units if unit != "__init__") for units in LAYERS]


# the test of the test: an upward import is reported wherever it hides, and a downward one is not


@pytest.mark.parametrize(
    "source",
    [
        "from sotiem.immunizations.models import Dose\n",
        "def move():\n    from sotiem.immunizations.models import Dose\n    return Dose\n",
        "import sotiem.immunizations.services\n",
        "from sotiem import immunizations\n",
        "from ..immunizations.models import Dose\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sotiem.immunizations.models import Dose\n",
        "import importlib\nmodels = importlib.import_module('sotiem.immunizations.models')\n",
    ],
)
def test_an_upward_import_in_a_people_module_is_reported_with_the_module_the_import_and_the_rule(source):
    [problem] = upward_imports(source, path=Path("people/merging.py"))
    assert problem.startswith("sotiem/people/merging.py:")
    assert "sotiem.people.merging imports sotiem.immunizations" in problem
    assert "points up the layer order: `people` may import only from lib, db, api_errors, audit" in problem


def test_an_import_from_the_same_or_a_lower_layer_is_not_reported():
    source = (
        "from sotiem.people.models import Person\nfrom sotiem.audit.services import audit_record\n"
        "from . import hooks\nfrom .models import Person as P\nfrom sotiem.db.bulk import insert_rows\n"
    )
    assert upward_imports(source, path=Path("people/merging.py")) == []
    assert (
        upward_imports(
            "from sotiem.people.models import Person\n", path=Path("immunizations/management/commands/x.py")
        )
        == []
    )


def test_an_app_outside_the_layer_order_is_reported():
    [problem] = upward_imports("x = 1\n", path=Path("complaints/models.py"))
    assert "`complaints` is in no layer" in problem
    [problem] = upward_imports(
        "from sotiem.complaints.models import Complaint\n", path=Path("people/models.py")
    )
    assert "`complaints` is in no layer" in problem
