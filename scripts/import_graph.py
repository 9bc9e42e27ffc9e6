"""Print the app-level import graph of aizuchi/: which app imports which, and any loops.

Reads the source with the standard library's ``ast`` (no Django, no virtualenv needed).
Every ``import aizuchi.<app>...`` or ``from aizuchi.<app>... import`` in an app's modules
counts, also inside functions; ``tests`` packages are left out unless ``--tests`` is given
(tests may use the factories of lower apps, and lower apps' tests are outside the order).

    scripts/import-graph            edges "app -> app (n imports)" and strongly connected groups
    scripts/import-graph --dot      the same as Graphviz dot
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "aizuchi"


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "aizuchi" else None


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path).split(".")
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = here if is_package else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append(target)
    return found


def graph(include_tests: bool) -> dict[str, dict[str, int]]:
    edges: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) < 2 or "migrations" in parts:
            continue
        if not include_tests and "tests" in parts:
            continue
        source = parts[0]
        edges[source]  # every app appears, even one that imports nothing
        for module in imported_modules(path):
            target = app_of(module)
            if target and target != source:
                edges[source][target] += 1
    return edges


def strongly_connected(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of apps that import each other in a loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dot", action="store_true", help="print Graphviz dot")
    parser.add_argument("--tests", action="store_true", help="count tests packages too")
    args = parser.parse_args()
    edges = graph(args.tests)
    if args.dot:
        print("digraph aizuchi {")
        for source in sorted(edges):
            for target, count in sorted(edges[source].items()):
                print(f'  "{source}" -> "{target}" [label={count}];')
        print("}")
        return 0
    for source in sorted(edges):
        targets = ", ".join(f"{t} ({n})" for t, n in sorted(edges[source].items()))
        print(f"{source} -> {targets or '(nothing)'}")
    loops = strongly_connected(edges)
    print()
    if loops:
        for group in loops:
            print("loop: " + " <-> ".join(group))
    else:
        print("no loops")
    return 1 if loops else 0


if __name__ == "__main__":
    sys.exit(main())
