"""Programs: the entry points of a project and what each one reaches.

A program is a module with a ``__main__`` guard or module-level training, a notebook, a console
script (``[project.scripts]``, setup.cfg/setup.py ``console_scripts``), or a file that an MLproject
entry point, a CI workflow step or a Dockerfile runs with ``python x.py`` / ``python -m mod``.
Test modules are never programs. A program reaches the modules it imports, transitively; its facts
come from those modules (see :func:`summaries.combine`), and a file is judged under the facts of
every program that reaches it. Code reached by no program is judged under its root's pooled facts.

Everything here works on per-file summaries (content-keyed, cacheable); nothing is parsed again.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from mlf_lint.engine.facts import FileFacts, ProjectFacts
from mlf_lint.engine.paths import is_test_file
from mlf_lint.engine.training import INFERENCE_NAME, off_training_path
from mlf_lint.lint import summaries
from mlf_lint.lint.summaries import MAIN_SCOPE, MODULE_SCOPE, FileSummary

_PYTHON_RUN = re.compile(r"(?<![\w./-])python(?:3(?:\.\d+)?)?\s+(?:-[uOBE]+\s+)*(-m\s+([\w.]+)|([\w./-]+\.py))")
_LOUD = frozenset({"forward", "training_step", "train_step", "compute_loss", "loss", "losses", "train", "fit",
                   "step", "backward", "run", "main", "run_step", "forward_train", "_forward"})
_ENTRY_POINT = re.compile(r"""["']?[\w.-]+["']?\s*=\s*["']?([A-Za-z_][\w.]*)\s*:\s*([A-Za-z_]\w*)""")


@dataclass(frozen=True)
class Program:
    rel: str                      # the entry file, relative to the root
    kind: str                     # main, script, notebook, console-script, MLproject, workflow, Dockerfile
    entry: Optional[str] = None   # the entry function of a console script


@dataclass
class ProgramModel:
    """The programs of one root, what each reaches, and how each file is judged."""

    programs: List[Program]
    reach: Dict[str, List[int]]                  # file -> indices of the programs that reach it
    facts: List[ProjectFacts]                    # per program
    library: ProjectFacts                        # the root's pooled facts, for code no program reaches
    quiet: Dict[str, Tuple[str, ...]] = field(default_factory=dict)  # file -> functions off the training path
    reached: List[List[str]] = field(default_factory=list)          # per program: functions (by name) it calls
    defined: Dict[str, List[str]] = field(default_factory=dict)     # file -> names of its functions

    def to_dict(self) -> Dict[str, object]:
        return {"programs": [asdict(p) for p in self.programs], "reach": self.reach,
                "facts": [f.as_data() for f in self.facts], "library": self.library.as_data(),
                "quiet": {k: list(v) for k, v in self.quiet.items()}, "reached": self.reached,
                "defined": self.defined}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Optional["ProgramModel"]:
        try:
            return cls([Program(**p) for p in data["programs"]],  # type: ignore[union-attr]
                       {k: list(v) for k, v in data["reach"].items()},  # type: ignore[union-attr]
                       [ProjectFacts.from_data(f) for f in data["facts"]],  # type: ignore[union-attr]
                       ProjectFacts.from_data(data["library"]),  # type: ignore[arg-type]
                       {k: tuple(v) for k, v in data["quiet"].items()},  # type: ignore[union-attr]
                       [list(r) for r in data["reached"]],  # type: ignore[union-attr]
                       {k: list(v) for k, v in data["defined"].items()})  # type: ignore[union-attr]
        except (TypeError, ValueError, KeyError, AttributeError):
            return None  # an older or damaged entry: recompute

    def for_file(self, rel: str) -> FileFacts:
        indices = self.reach.get(rel)
        quiet = self.quiet.get(rel, ())
        if not indices:
            return FileFacts([((), self.library)], quiet)
        groups: Dict[str, Tuple[List[str], ProjectFacts]] = {}
        keys = self.__dict__.setdefault("_keys", {})  # each program's facts key, computed once
        for index in indices:
            facts = self.facts[index]
            key = keys.get(index)
            if key is None:
                key = keys[index] = facts.key()
            if key not in groups:
                groups[key] = ([], facts)
            groups[key][0].append(self.programs[index].rel)
        ordered = sorted(groups.values(), key=lambda g: g[0])
        defined = set(self.defined.get(rel, ()))
        reached: List[Optional[FrozenSet[str]]] = []
        if defined:
            index = {p.rel: i for i, p in enumerate(self.programs)}
            for names, _ in ordered:
                calls: Set[str] = set()
                for name in names:
                    calls.update(self._reached_set(index[name]) & defined)
                reached.append(frozenset(calls))
        return FileFacts([(tuple(names), replace(facts, programs=sorted(names))) for names, facts in ordered], quiet,
                         reached if defined else None, self.library, frozenset(defined))

    def _reached_set(self, index: int) -> Set[str]:
        cache = self.__dict__.setdefault("_sets", {})
        found = cache.get(index)
        if found is None:
            found = cache[index] = set(self.reached[index]) if index < len(self.reached) else set()
        return found


# -- modules and imports -------------------------------------------------------------------------
class ModuleIndex:
    """Dotted module names of the project's files, with the folder each name is relative to."""

    def __init__(self, rels: Iterable[str]) -> None:
        self.by_name: Dict[str, List[Tuple[str, str]]] = {}   # name -> [(base folder, rel)]
        self.files: Set[str] = set()
        for rel in rels:
            if not rel.endswith(".py"):
                continue
            self.files.add(rel)
            parts = rel[:-3].split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            for start in range(len(parts)):
                name = ".".join(parts[start:])
                if name:
                    self.by_name.setdefault(name, []).append(("/".join(parts[:start]), rel))

    def resolve(self, importer: str, module: str, level: int) -> List[str]:
        folder = importer.rsplit("/", 1)[0] if "/" in importer else ""
        if level:
            base = folder.split("/") if folder else []
            if level - 1 > len(base):
                return []
            base = base[:len(base) - (level - 1)]
            path = "/".join(base + (module.split(".") if module else []))
            found = [f"{path}.py", f"{path}/__init__.py" if path else "__init__.py"]
            return [f for f in found if f in self.files]
        candidates = self.by_name.get(module)
        if not candidates:
            return []
        ancestors = [(base, rel) for base, rel in candidates if _is_ancestor(base, folder)]
        if ancestors:
            longest = max(len(base) for base, _ in ancestors)
            return [rel for base, rel in ancestors if len(base) == longest]
        return [candidates[0][1]] if len(candidates) == 1 else []


def _is_ancestor(base: str, folder: str) -> bool:
    return base == "" or folder == base or folder.startswith(base + "/")


def _import_edges(index: ModuleIndex, found: Mapping[str, FileSummary]) -> Dict[str, Set[str]]:
    edges: Dict[str, Set[str]] = {}
    for rel, summary in found.items():
        targets: Set[str] = set()
        for module, level in summary.get("imports") or ():  # type: ignore[union-attr]
            parts = module.split(".") if module else [""]
            for end in range(1, len(parts) + 1):  # import a.b.c runs a/__init__ and a/b/__init__ too
                targets.update(index.resolve(rel, ".".join(parts[:end]), level))
        targets.discard(rel)
        edges[rel] = targets
    return edges


def _closure(start: str, edges: Mapping[str, Set[str]]) -> Set[str]:
    seen = {start}
    queue = [start]
    while queue:
        for target in edges.get(queue.pop(), ()):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


# -- finding programs ----------------------------------------------------------------------------
def _trains_at_module_level(summary: FileSummary) -> bool:
    trains = summary.get("trains") or {}
    if MODULE_SCOPE in trains:  # type: ignore[operator]
        return True
    calls = summary.get("calls") or {}
    seen: Set[str] = set()
    queue = list(calls.get(MODULE_SCOPE, ()))  # type: ignore[union-attr]
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in trains:  # type: ignore[operator]
            return True
        queue.extend(calls.get(name, ()))  # type: ignore[union-attr]
    return False


def _training_names(found: Mapping[str, FileSummary]) -> Set[str]:
    """Function names (across the root) from which a training step is reached by name."""
    callers: Dict[str, Set[str]] = {}
    training: Set[str] = set()
    for summary in found.values():
        calls = summary.get("calls") or {}
        for scope, names in calls.items():  # type: ignore[union-attr]
            for name in names:
                callers.setdefault(name, set()).add(scope)
        training.update(s for s in (summary.get("trains") or {}) if s not in (MODULE_SCOPE, MAIN_SCOPE))
        for cls, methods in (summary.get("classes") or {}).items():  # type: ignore[union-attr]
            for method in methods:
                callers.setdefault(method, set()).add(cls)  # calling a class reaches its methods
    queue = list(training)
    while queue:
        for caller in callers.get(queue.pop(), ()):
            if caller not in training and caller not in (MODULE_SCOPE, MAIN_SCOPE):
                training.add(caller)
                queue.append(caller)
    return training


def code_programs(found: Mapping[str, FileSummary], imported: Set[str]) -> List[Program]:
    """Entry points in code: a ``__main__`` guard, a notebook, or a module that nothing imports and
    whose module-level code trains (directly, or by calling what trains)."""
    programs = []
    training: Optional[Set[str]] = None
    for rel in sorted(found):
        if is_test_file(rel):
            continue
        summary = found[rel]
        if rel.endswith(".ipynb"):
            programs.append(Program(rel, "notebook"))
        elif summary.get("main"):
            programs.append(Program(rel, "main"))
        elif _trains_at_module_level(summary):
            programs.append(Program(rel, "script"))
        elif rel not in imported:
            top = (summary.get("calls") or {}).get(MODULE_SCOPE) or summary.get("top_calls")  # type: ignore[union-attr]
            if top:
                if training is None:
                    training = _training_names(found)
                if training & set(top):  # type: ignore[arg-type]
                    programs.append(Program(rel, "script"))
    return programs


def declared_programs(root: Path, project_files: Sequence[Path], index: ModuleIndex) -> List[Program]:
    """Programs that project files name: console scripts, MLproject/workflow/Dockerfile commands."""
    from mlf_lint.project_checks import kind_of

    found: List[Program] = []
    for name in ("pyproject.toml", "setup.cfg", "setup.py"):
        text = _read(root / name)
        if text and ("scripts" in text or "console_scripts" in text):
            section = text.split("console_scripts", 1)[-1] if name != "pyproject.toml" else \
                text.split("[project.scripts]", 1)[-1].split("\n[", 1)[0] if "[project.scripts]" in text else ""
            for module, func in _ENTRY_POINT.findall(section):
                for rel in index.by_name.get(module, ()):
                    found.append(Program(rel[1], "console-script", func))
    for path in project_files:
        try:
            rel = path.resolve().relative_to(root).as_posix()
        except ValueError:
            continue
        kind = kind_of(rel)
        if kind not in ("mlproject", "workflow", "dockerfile"):
            continue
        text = _read(path)
        if not text:
            continue
        folder = "" if kind == "workflow" else rel.rsplit("/", 1)[0] if "/" in rel else ""
        shown = {"mlproject": "MLproject", "workflow": "workflow", "dockerfile": "Dockerfile"}[kind]
        for match in _PYTHON_RUN.finditer(text):
            if match.group(2):
                for _, target in index.by_name.get(match.group(2), ())[:1]:
                    found.append(Program(target, shown))
            else:
                script = match.group(3).lstrip("./")
                for candidate in (f"{folder}/{script}" if folder else script, script):
                    if candidate in index.files:
                        found.append(Program(candidate, shown))
                        break
    return found


def _read(path: Path) -> Optional[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


# -- the model -----------------------------------------------------------------------------------
def build(root: Path, found: Mapping[str, FileSummary], texts: Mapping[str, str],
          project_files: Sequence[Path] = (), library: Optional[ProjectFacts] = None) -> ProgramModel:
    """The program model of one root. ``found``: root-relative path -> summary (``.py`` and notebooks);
    ``texts``: the same paths -> source (for textual calls in files that were not parsed)."""
    index = ModuleIndex(found)
    edges = _import_edges(index, found)
    programs: List[Program] = []
    seen: Set[str] = set()
    imported = {target for targets in edges.values() for target in targets}
    for program in [*code_programs(found, imported), *declared_programs(root, project_files, index)]:
        if program.rel not in seen and program.rel in found and not is_test_file(program.rel):
            seen.add(program.rel)
            programs.append(program)
    if library is None:
        library = summaries.combine(dict(found), dict(texts))
    reach: Dict[str, List[int]] = {}
    facts: List[ProjectFacts] = []
    reached_names: List[List[str]] = []
    closures: Dict[str, Set[str]] = {}
    for number, program in enumerate(programs):
        closure = closures.get(program.rel)
        if closure is None:
            closure = closures[program.rel] = _closure(program.rel, edges)
        part = {rel: found[rel] for rel in closure}
        calls: Set[str] = set()
        own = summaries.combine(part, {rel: texts.get(rel, "") for rel in closure}, entry=program.rel,
                                entry_function=program.entry, reached_out=calls)
        own.programs = [program.rel]
        if off_training_path(program.rel) or program.kind == "notebook" and not _notebook_trains(part[program.rel]):
            own.trains = []  # a prediction, validation or benchmark run (or a notebook with no training step)
        reached_names.append(sorted(calls))
        facts.append(own)
        for rel in closure:
            reach.setdefault(rel, []).append(number)
    defined = {rel: _defined(summary) for rel, summary in found.items()}
    return ProgramModel(programs, reach, facts, library, _quiet_functions(found, defined), reached_names,
                        {rel: names for rel, names in defined.items() if names})


def _notebook_trains(summary: FileSummary) -> bool:
    """A notebook trains when its own cells reach a training step (a helper it imports counts)."""
    top = set((summary.get("calls") or {}).get(MODULE_SCOPE, ()))  # type: ignore[union-attr]
    return bool(summary.get("trains")) or bool(top & {"fit", "train", "fit_generator", "train_on_batch"})


def _defined(summary: FileSummary) -> List[str]:
    """Names of the functions a file defines (for judging a finding by the function it sits in)."""
    names = set(summary.get("defs") or ())  # type: ignore[arg-type]
    names.update(s for s in (summary.get("calls") or {}) if s not in (MODULE_SCOPE, MAIN_SCOPE))
    for methods in (summary.get("classes") or {}).values():  # type: ignore[union-attr]
        names.update(methods)
    return sorted(names)


def _quiet_functions(found: Mapping[str, FileSummary], defined: Mapping[str, List[str]]
                     ) -> Dict[str, Tuple[str, ...]]:
    """Functions every known call of which runs where no backward pass runs (under no_grad, in an
    inference branch, or inside another such function). Name-based across the root, so a name
    shared with a training caller is never quiet. In a file that was not parsed, a call belongs to
    the function whose text it sits in, and is quiet only where the file makes it only under
    no_grad (or the module is off the training path). ``defined``: file -> its functions."""
    functions = set().union(*defined.values())
    # callee -> [(caller scope, call is in a quiet context)], for the root's own functions only
    callers: Dict[str, List[Tuple[str, bool]]] = {}
    for rel, summary in found.items():
        if is_test_file(rel):
            continue  # tests call what they test, training or not: their calls say nothing
        off_path = off_training_path(rel)  # every call in a data, evaluation or vis module is quiet
        calls = summary.get("calls")
        parsed = isinstance(calls, dict)
        # Not parsed: calls read from the text, by the function each sits in; quiet where the file
        # makes the call only under no_grad.
        scoped = calls if parsed else summary.get("scalls") or {}
        quiet_calls = summary.get("icalls") or {}
        quiet_in_file = set(summary.get("icalled") or ())  # type: ignore[arg-type]
        for scope, callees in scoped.items():  # type: ignore[union-attr]
            quiet_here = quiet_calls.get(scope, ()) if parsed else quiet_in_file  # type: ignore[union-attr]
            for callee in functions.intersection(callees):
                callers.setdefault(callee, []).append((scope, off_path or callee in quiet_here))
    # Called implicitly (nn.Module.__call__ -> forward), by a framework with gradients on, or
    # themselves training: never quiet, whoever calls them by name.
    loud = set(_LOUD)
    for summary in found.values():
        loud.update(s for s in (summary.get("trains") or {}))  # type: ignore[union-attr]
    quiet: Set[str] = set()
    inference = INFERENCE_NAME
    # Functions nothing in the root calls by name (public API; dunders are called implicitly):
    # who calls them is unknown, so a plain call they make does not make its callee loud; a
    # callee still needs one known quiet call.
    uncalled = {name for name in functions if name not in callers and name not in loud and not name.startswith("__")}

    changed = True
    while changed:
        changed = False
        for name, sites in callers.items():
            if name in quiet or name in loud or name.startswith("__") or inference.search(name):
                continue
            known = [q or s in quiet or (s not in (MODULE_SCOPE, MAIN_SCOPE) and inference.search(s) is not None)
                     for s, q in sites if q or s not in uncalled]
            if known and all(known):
                quiet.add(name)
                changed = True
    here = {rel: quiet.intersection(names) for rel, names in defined.items()}
    return {rel: tuple(sorted(names)) for rel, names in here.items() if names}
