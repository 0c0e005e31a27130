"""The house's shape (issue 16): imports run one way, blueprints → domain → models (→ config), with no circle
anywhere among the project's own modules, and the domain stays plain Python, testable without Flask.

Read from the source with `ast`, every import counted, also one inside a function: an import moved into a
function still makes the two modules depend on each other (style.md: no imports inside functions to dodge a
circle). `python tests/test_structure.py` prints the graph's circles, if any, and the layer breaches.
"""
import ast
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The project's own code: the top-level modules and these folders (tests, migrations and vendored files aside).
PACKAGES = ("blueprints", "domain", "tools", "bench")
# What the domain may never import: the web framework and its request and response machinery. Password hashing
# (werkzeug.security) is a plain function and stays allowed.
WEB = ("flask", "flask_login", "flask_wtf", "flask_limiter", "werkzeug", "itsdangerous", "jinja2")
WEB_ALLOWED = ("werkzeug.security",)
# Project modules below the domain, the only ones it may import besides its own.
BELOW_DOMAIN = {"models", "config"}


def module_files():
    """{dotted module name: path} for every project module."""
    found = {path.stem: path for path in ROOT.glob("*.py")}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "__pycache__" in parts or "vendor" in parts or "out" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(path, name, modules):
    """The modules `path` imports: (dotted name, line), external ones included, each import statement counted
    wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's own package
                package = name.split(".") if is_package else name.split(".")[:-1]
                package = package[:len(package) - (node.level - 1)]
                base = ".".join(package + ([base] if base else []))
            for alias in node.names:
                submodule = f"{base}.{alias.name}" if base else alias.name
                found.append((submodule if submodule in modules else base, node.lineno))
    return found


def project_graph():
    """{module: {imported project module: first line}} and {module: [(external module, line)]}."""
    modules = module_files()
    graph, external = {}, {}
    for name, path in modules.items():
        graph[name], external[name] = {}, []
        for target, line in imports_of(path, name, modules):
            owner = _project_module(target, modules)
            if owner is None:
                external[name].append((target, line))
            elif owner != name:
                graph[name].setdefault(owner, line)
    return graph, external


def _project_module(target, modules):
    """The project module `target` names (a dotted name inside one counts as it), or None when it is not ours."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def circles(graph):
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def is_web(target):
    return target.split(".")[0] in WEB and not any(
        target == allowed or target.startswith(allowed + ".") for allowed in WEB_ALLOWED)


def domain_breaches(graph, external):
    """Imports by a domain module of the web framework or of a project module outside the domain and below it."""
    found = []
    for name in sorted(graph):
        if name != "domain" and not name.startswith("domain."):
            continue
        for target, line in external[name]:
            if is_web(target):
                found.append(f"{name} (line {line}) imports {target}")
        for target, line in graph[name].items():
            if not (target == "domain" or target.startswith("domain.") or target in BELOW_DOMAIN):
                found.append(f"{name} (line {line}) imports {target}, which is not below the domain")
    return found


def test_no_import_circle_among_the_projects_modules():
    graph, _ = project_graph()
    assert {"app", "models", "blueprints.api", "domain"} <= set(graph), "the module walk found too little"
    assert circles(graph) == []


def test_the_domain_imports_neither_flask_nor_anything_above_it():
    graph, external = project_graph()
    assert domain_breaches(graph, external) == []


def test_models_import_no_domain_module_and_no_web_framework():
    graph, external = project_graph()
    assert set(graph["models"]) <= {"config"}
    assert not [target for target, _ in external["models"] if is_web(target)]


def test_the_check_sees_a_circle_and_a_flask_import_when_they_come_back():
    # The check itself, on a made-up graph: a circle of three, and a domain module importing flask.
    assert circles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]
    breaches = domain_breaches({"domain.x": {"blueprints.errors": 3}},
                               {"domain.x": [("flask", 1), ("werkzeug.security", 2), ("werkzeug.exceptions", 4)]})
    assert breaches == ["domain.x (line 1) imports flask", "domain.x (line 4) imports werkzeug.exceptions",
                        "domain.x (line 3) imports blueprints.errors, which is not below the domain"]


def test_each_domain_package_says_what_it_owns():
    packages = [path for path in (ROOT / "domain").iterdir() if (path / "__init__.py").exists()]
    assert len(packages) >= 5
    for package in [ROOT / "domain", *packages]:
        docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert docstring, f"{package.relative_to(ROOT)}/__init__.py has no docstring saying what it owns"


if __name__ == "__main__":
    graph, external = project_graph()
    for component in circles(graph):
        print("circle:", " ".join(component))
        for name in component:
            print("   ", name, "→", ", ".join(f"{t} (line {line})" for t, line in sorted(graph[name].items())
                                           if t in component))
    for breach in domain_breaches(graph, external):
        print("domain:", breach)
    print("models →", sorted(graph["models"]))
    sys.exit(1 if circles(graph) or domain_breaches(graph, external) else 0)
