"""Every pointer in the repository names something in the repository.

GIVEN the repository's Python, JavaScript and Markdown files and the Makefile (not .venv,
node_modules, build, cdk.out, .git or caches)
THEN every file a comment, docstring or document points to exists, every module a docstring
names (``cancelflow.review.sla.escalate_overdue``) exists and defines the name, nothing points
outside the repository (the first round's shared notes, which are not in it: see ``OUTSIDE``), every
(docs/<file>.md, "<section>") pointer names a heading of that document, and docs/domain.md has
its agreed sections and a module in the repository for every rule of its last table.

The scanner is a function of a root directory, so the detector tests below run it on small
made-up trees and show that each kind of broken pointer fails, naming file and line.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_DOC = "docs/domain.md"
DOMAIN_SECTIONS = (
    "Order states",
    "Products and policies",
    "Cancellation paths",
    "Reasons",
    "Eligibility and options",
    "Auto-approval",
    "Cooling-off",
    "Risk",
    "Review",
    "Priority",
    "Appeals",
    "Stop delivery",
    "Withdrawal",
    "Refunds",
    "Refund SLA and overdue",
    "Refund recovery",
    "Support's tools",
    "Time and the business calendar",
    "After-sales window",
    "Dispute record",
    "Notifications",
    "Conversations",
    "Quarantine",
    "Invariants",
    "Model check",
    "Where each rule lives",
)

SKIPPED_DIRS = {
    ".venv",
    "node_modules",
    "build",
    "cdk.out",
    ".git",
    "artifacts",
    "__pycache__",
    ".hypothesis",
    ".ruff_cache",
    ".mypy_cache",
    ".pytest_cache",
    "mutants",
}
SUFFIXES = {".py", ".js", ".md"}
# What a file's name may end with; "worker.handler" or "nag.ACKNOWLEDGED" name a module's member.
FILE_TYPES = {"py", "md", "js", "json", "html", "css", "toml", "txt", "png", "yml", "yaml", "sh", "pml"}

# Documents that are not in the repository (they were the first round's shared notes). Written
# as a pattern that does not spell the names out, so that this guard is not itself a pointer
# (the before-stop check greps the tree for them).
OUTSIDE = re.compile(
    r"(?<![\w/-])(?:DOMAIN\.md|STACK-(?:NOTES)(?:\.md)?|ARCHITECTURE\.md|API\.md)|\.\./shared\b"
)
# A path from the repository root or from inside the layer: docs/x.md, tests/unit/test_x.py,
# layers/cancelflow/..., store/codec.py, ... (the first folder names where it starts).
_FIRST = (
    "docs|tests|layers|functions|infra|local|bench|console|events|cancelflow"
    "|domain|store|cancel|platform|review|refunds|sweeps|http"
)
PATH = re.compile(rf"(?<![\w./@:-])((?:\.\./)*(?:{_FIRST})/[\w./-]*\w)")
# A module (and maybe a name in it) in dotted form: cancelflow.review.sla.escalate_overdue.
DOTTED = re.compile(r"(?<![\w./-])((?:cancelflow|local|infra|functions|tests|bench)(?:\.[A-Za-z_]\w*)+)")
# (docs/domain.md, "Refunds"): a section of a document, maybe over a comment's line break.
_BREAK = r"\n[ \t]*(?:#|//|\*)?[ \t]*"  # a line break inside a comment, docstring or document
SECTION = re.compile(rf"(docs/[\w./-]+\.md)[`'\"]?,?[ \t]*(?:{_BREAK})?\"((?:[^\"\n]|{_BREAK})+)\"")
MD_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.M)


def repo_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.iterdir()):
        if path.is_dir():
            if path.name not in SKIPPED_DIRS and not path.name.endswith(".egg-info"):
                yield from repo_files(path)
        elif path.suffix in SUFFIXES or path.name == "Makefile":
            yield path


def fragments(path: Path, text: str) -> Iterator[tuple[int, str, bool]]:
    """(first line, text, prose?) of what a pointer may sit in: for Python its comments and
    string literals (prose: comments and docstrings), for every other file the whole file."""
    if path.suffix != ".py":
        yield 1, text, True
        return
    docstrings = _docstring_lines(text)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        yield 1, text, True
        return
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.string, True
        elif tok.type == tokenize.STRING:
            yield tok.start[0], tok.string, tok.start[0] in docstrings


def _docstring_lines(text: str) -> set[int]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                out.add(value.lineno)
    return out


def _resolves(root: Path, source: Path, ref: str) -> bool:
    """From the root, from inside the layer, or from the referring file's folder or above."""
    ref = ref.rstrip("/.")
    bases = [root, root / "layers", root / "layers" / "cancelflow", *source.parents]
    for base in bases:
        if not base.is_relative_to(root):
            continue
        try:
            if (base / ref).resolve().is_relative_to(root) and (base / ref).exists():
                return True
        except OSError:
            continue
    return False


def _path_target(ref: str, after: str) -> tuple[str, ...]:
    """What may exist for ``ref`` (one is enough): the file; the module of ``store/orders.run``
    (a file or a package); the folder of ``layers/cancelflow/``. Nothing for what only looks
    like a path (``cancel/stop-delivery``, the ``bench/bench_`` of a glob)."""
    *folders, last = ref.split("/")
    if "." in last:
        stem, ext = last.split(".", 1)
        if ext in FILE_TYPES:
            return (ref,)
        module = "/".join([*folders, stem])
        return (f"{module}.py", module)
    return (ref,) if after == "/" else ()


def _defined_names(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def dotted_problem(root: Path, ref: str) -> str | None:
    """None when ``ref`` names a module of the repository (and, if it goes on, a name in it)."""
    parts = ref.split(".")
    if parts[-1] == "py":
        parts = parts[:-1]
    base = root / "layers" if parts[0] == "cancelflow" else root
    here = base / parts[0]
    if not here.is_dir():
        return f"no package {parts[0]}"
    for i, part in enumerate(parts[1:], start=1):
        if (here / part).is_dir():
            here = here / part
            continue
        if (here / f"{part}.py").is_file():
            here = here / f"{part}.py"
            rest = parts[i + 1 :]
            if rest and rest[0] not in _defined_names(here):
                return f"{'.'.join(parts[: i + 1])} defines no {rest[0]}"
            return None
        init = here / "__init__.py"
        if init.is_file() and part in _defined_names(init):
            return None
        return f"no module or name {'.'.join(parts[: i + 1])}"
    return None


def headings(doc: Path) -> dict[str, int]:
    """Heading text -> level, outside code fences."""
    text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {m.group(2): len(m.group(1)) for m in HEADING.finditer(text)}


def has_section(doc: Path, name: str) -> bool:
    """docs/domain.md by its exact headings; elsewhere a heading may go on after its first
    words ("Deployment" is "Deployment (S3 + CloudFront, by the CDK)")."""
    found = headings(doc)
    if doc.as_posix().endswith(DOMAIN_DOC):
        return name in found
    return any(h == name or h.startswith(name + " ") for h in found)


def _fragment_problems(root: Path, path: Path, first: int, frag: str, prose: bool) -> list[str]:
    """``line: what`` for each broken pointer in one comment, string or document."""
    found: list[tuple[int, str]] = []
    for m in OUTSIDE.finditer(frag):
        found.append((m.start(), f"points outside the repository: {m.group(0)}"))
    for m in PATH.finditer(frag):
        targets = _path_target(m.group(1), frag[m.end() : m.end() + 1])
        if targets and not any(_resolves(root, path, t) for t in targets):
            found.append((m.start(), f"no such file: {m.group(1)}"))
    if prose and path.suffix != ".js":  # in JavaScript, dotted names are storage keys
        for m in DOTTED.finditer(frag):
            if problem := dotted_problem(root, m.group(1)):
                found.append((m.start(), f"{m.group(1)}: {problem}"))
    if path.suffix == ".md":
        for m in MD_LINK.finditer(frag):
            link = m.group(1)
            if PATH.fullmatch(link) or re.match(r"[a-z]+:", link) or _resolves(root, path, link):
                continue  # a path from the root is checked above; a URL is not ours
            found.append((m.start(), f"broken link: {link}"))
    return [f"{first + frag.count(chr(10), 0, pos)}: {what}" for pos, what in found]


def broken_pointers(root: Path) -> list[str]:
    """Every broken pointer under ``root`` as ``file:line: what``."""
    out: list[str] = []
    for path in repo_files(root):
        if path.resolve() == Path(__file__).resolve():
            continue  # the scanner: its strings are the made-up pointers of its own tests
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(root).as_posix()
        for first, frag, prose in fragments(path, text):
            out += [f"{rel}:{p}" for p in _fragment_problems(root, path, first, frag, prose)]
        # over the whole text: a pointer in comments may break between its two halves
        for m in SECTION.finditer(text):
            doc, name = root / m.group(1), re.sub(_BREAK, " ", m.group(2))
            if doc.is_file() and "{" not in name and not has_section(doc, name):  # not a template
                line = 1 + text.count("\n", 0, m.start())
                out.append(f"{rel}:{line}: {m.group(1)} has no section {name!r}")
    return out


def domain_doc_problems(root: Path) -> list[str]:
    doc = root / DOMAIN_DOC
    if not doc.is_file():
        return [f"{DOMAIN_DOC} is missing"]
    found = [h for h, level in headings(doc).items() if level == 2]
    out = []
    if found != list(DOMAIN_SECTIONS):
        out.append(f"{DOMAIN_DOC}: sections {found}, agreed {list(DOMAIN_SECTIONS)}")
    text = doc.read_text(encoding="utf-8")
    table = text.split("## Where each rule lives", 1)[-1]
    rows = [line for line in table.splitlines() if line.startswith("|") and "---" not in line][1:]
    if not rows:
        out.append(f"{DOMAIN_DOC}: no table of where each rule lives")
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        modules = re.findall(r"`([^`]+)`", cells[-1]) if len(cells) >= 2 else []
        if len(modules) != 1:
            out.append(f"{DOMAIN_DOC}: rule {cells[0]!r} names {len(modules)} modules, not one")
        for m in modules:
            if not (root / m).is_file():
                out.append(f"{DOMAIN_DOC}: rule {cells[0]!r}: no such module {m}")
    return out


# ---------------------------------------------------------------- the repository


def test_every_pointer_names_something_in_the_repository() -> None:
    broken = broken_pointers(ROOT)
    assert not broken, f"{len(broken)} broken pointers:\n" + "\n".join(broken)


def test_domain_doc_has_its_sections_and_one_existing_module_per_rule() -> None:
    problems = domain_doc_problems(ROOT)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- the detectors
# Made-up names are put together from pieces so that this file itself points nowhere wrong.

MISSING_DOC = "docs/" + "no_such_page.md"
OLD_NOTES = "STACK-" + "NOTES.md"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_good_tree_has_no_broken_pointer(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "docs/guide.md": "# Guide\n\n## Refunds\n\nSee [the code](../layers/cancelflow/a.py).\n",
            "layers/cancelflow/__init__.py": "",
            "layers/cancelflow/a.py": (
                '"""Rules: (docs/guide.md, "Refunds"); cancelflow.a.f."""\n\n\ndef f(): ...\n'
            ),
            "layers/cancelflow/b.py": "# store-relative: a.py lives in layers/cancelflow/a.py\nX = 1\n",
        },
    )
    assert broken_pointers(root) == []


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (f"# see {MISSING_DOC}\n", "no such file"),
        (f'"""Why: {OLD_NOTES}, moto."""\n', "points outside"),
        ('"""(' + "DOMAIN" + '.md, "Review")."""\n', "points outside"),
        ('"""as in ' + ".." + '/shared/x.md"""\n', "points outside"),
        ('"""(docs/guide.md, "No such section")."""\n', "has no section"),
        ('# (docs/guide.md,\n# "Nowhere")\nX = 1\n', "has no section"),
        ('# (docs/guide.md, "Refunds\n# nowhere")\nX = 1\n', "has no section 'Refunds nowhere'"),
        ('"""Calls ``cancelflow.a.' + 'gone``."""\n', "defines no gone"),
        ('"""Calls ``cancelflow.' + 'nothing.f``."""\n', "no module or name"),
    ],
)
def test_a_broken_pointer_fails_naming_file_and_line(tmp_path: Path, text: str, what: str) -> None:
    root = _tree(
        tmp_path,
        {
            "docs/guide.md": "# Guide\n\n## Refunds\n",
            "layers/cancelflow/__init__.py": "",
            "layers/cancelflow/a.py": "def f(): ...\n",
            "tests/t.py": "\n\n" + text,
        },
    )
    broken = broken_pointers(root)
    assert len(broken) == 1 and broken[0].startswith("tests/t.py:3") and what in broken[0], broken


def test_a_broken_markdown_link_or_path_in_a_document_fails(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"README.md": f"# R\n\nSee [x](nope{'.md'}) and\n`{MISSING_DOC}`.\n"})
    assert broken_pointers(root) == [
        f"README.md:4: no such file: {MISSING_DOC}",
        "README.md:3: broken link: nope.md",
    ]


def test_domain_doc_detector(tmp_path: Path) -> None:
    sections = "".join(f"## {s}\n\ntext\n\n" for s in DOMAIN_SECTIONS)
    table = "| rule | module |\n|---|---|\n| risk | `layers/cancelflow/domain/risk.py` |\n"
    root = _tree(tmp_path, {DOMAIN_DOC: "# D\n\n" + sections + table})
    assert domain_doc_problems(root) == [
        f"{DOMAIN_DOC}: rule 'risk': no such module layers/cancelflow/domain/risk.py"
    ]
    _tree(tmp_path, {"layers/cancelflow/domain/risk.py": ""})
    assert domain_doc_problems(root) == []
    _tree(tmp_path, {DOMAIN_DOC: "# D\n\n## Risk\n\n" + table})
    assert "sections" in domain_doc_problems(root)[0]
