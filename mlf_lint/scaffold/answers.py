"""A template's questions and the checks every answer passes before anything is rendered.

Answers are data. They come from the command line, from prompts and, for ``sync``, from a
project's committed ``.mlf-lint-project.yml``, so they are never rendered as templates; they are
still refused when they hold template syntax (a recorded ``{{ ... }}`` is an attempt to run code,
or at best a project no longer ``sync`` can render), control characters (every answer is one
line: a newline inside a TOML or Python string is a file that no longer parses), text that cannot
be written as UTF-8, or characters that make source read differently from how it runs
(bidirectional overrides).

The questions and their defaults come from the template's ``cookiecutter.json`` only: ``create``,
its prompts and ``info`` all read them here.
"""
from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

QUESTIONS_FILE = "cookiecutter.json"
NAME_KEY = "project_name"
MAX_NAME_LENGTH = 100  # a folder name is at most 255 bytes; a package name this long helps nobody
MAX_TEXT_LENGTH = 500
# A name that is a valid distribution name and, with - turned into _, a valid import name.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*")
_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-SNAPSHOT)?")
TEMPLATE_SYNTAX = ("{{", "{%", "{#")  # what opens a Jinja expression, statement or comment
# Bidirectional controls reorder how source is displayed ("trojan source", CVE-2021-42574).
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")
# Module names a new package must not shadow (sys.stdlib_module_names exists from 3.10 on).
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {
    "random", "test", "typing", "json", "os", "sys", "math", "string", "logging", "types",
}
_SHADOWED = frozenset({"torch", "tensorflow", "keras", "xgboost", "numpy", "mlflow", "lightning", "mlf_lint"})


class AnswerError(ValueError):
    """An answer that cannot go into a project; the message names the question and the problem."""


@dataclass(frozen=True)
class Question:
    key: str
    default: str
    choices: Tuple[str, ...] = ()  # empty: free text

    def to_json(self) -> Any:
        return list(self.choices) if self.choices else self.default


def read_questions_file(template_path: Path) -> Dict[str, Any]:
    """The raw ``cookiecutter.json`` of a template folder (an empty mapping when there is none)."""
    path = template_path / QUESTIONS_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise AnswerError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise AnswerError(f"{path}: expected a JSON object of questions and defaults")
    return data


def is_question(key: str, value: Any) -> bool:
    """A value the user answers: not private (``_library``) and not derived (``{{ ... }}``)."""
    if key.startswith("_"):
        return False
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) for v in value)
    return isinstance(value, str) and "{{" not in value and "{%" not in value


def questions(template_path: Path) -> List[Question]:
    """The template's questions in order, each with the default ``create`` uses."""
    found = []
    for key, value in read_questions_file(template_path).items():
        if is_question(key, value):
            if isinstance(value, list):
                found.append(Question(key, value[0], tuple(value)))
            else:
                found.append(Question(key, value))
    return found


def defaults(template_path: Path) -> Dict[str, str]:
    return {q.key: q.default for q in questions(template_path)}


def validate_name(name: str) -> str:
    """An error message for a name that cannot be a package name, or "" when it can."""
    if not name:
        return "the project name is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"the project name is {len(name)} characters long; at most {MAX_NAME_LENGTH} are allowed"
    if not _NAME.fullmatch(name):
        return (f"{name!r} is not a valid package name: use letters, digits, '-' or '_', "
                "starting with a letter (e.g. my-project)")
    package = name.lower().replace("-", "_")
    if keyword.iskeyword(package):
        return f"'{name}' is a Python keyword and cannot be a package name"
    if package in _STDLIB or package in _SHADOWED:
        return f"'{name}' would shadow the module '{package}' that the project imports; pick another name"
    return ""


def text_problem(value: str) -> str:
    """Why ``value`` cannot be a one-line answer, or ""."""
    if len(value) > MAX_TEXT_LENGTH:
        return f"is {len(value)} characters long; at most {MAX_TEXT_LENGTH} are allowed"
    for marker in TEMPLATE_SYNTAX:
        if marker in value:
            return (f"contains {marker!r}, which is template syntax; answers are data and are never "
                    "rendered, so it is not allowed")
    return line_problem(value)


def line_problem(value: str) -> str:
    """Why ``value`` is not one line of writable, plainly displayed text, or ""."""
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc" or char in "\u2028\u2029\x85":
            return f"must be one line without control characters (found {char!r})"
        if category == "Cs":
            return "is not valid Unicode text (it holds a lone surrogate, e.g. from undecodable input)"
        if char in _BIDI:
            return f"contains the bidirectional control character U+{ord(char):04X}"
        if (0xFDD0 <= ord(char) <= 0xFDEF) or (ord(char) & 0xFFFE) == 0xFFFE:
            return f"contains the Unicode noncharacter U+{ord(char):04X}"
    return ""


def validate_answer(key: str, value: Any, choices: Tuple[str, ...] = ()) -> str:
    """An error message for one answer, or "" when it may go into a project."""
    if not isinstance(value, str):
        return f"{key}: expected text, got {type(value).__name__} {value!r}"
    if key == NAME_KEY:
        problem = validate_name(value)
        if problem:
            return problem
    problem = text_problem(value)
    if problem:
        return f"{key} {problem}"
    if choices and value not in choices:
        return f"{key}: unknown value {value!r}; choose one of: {', '.join(choices)}"
    if key == "version" and not _VERSION.fullmatch(value):
        return f"version {value!r} is not an X.Y.Z version (e.g. 0.1.0)"
    return ""


def check_answers(template_path: Path, answers: Mapping[str, Any]) -> Dict[str, str]:
    """Every answer checked against the template's questions; the answers the template asks for,
    with its defaults filled in. Raises :class:`AnswerError` with the first problem.

    Answers the template does not ask for (another template's questions, or ``project_slug`` and
    private keys that only the template may derive) are checked as text and then left out.
    """
    asked = {q.key: q for q in questions(template_path)}
    completed: Dict[str, str] = {}
    for key, value in answers.items():
        if not isinstance(key, str) or not key:
            raise AnswerError(f"answer keys must be text, got {key!r}")
        question = asked.get(key)
        problem = validate_answer(key, value, question.choices if question else ())
        if problem:
            raise AnswerError(problem)
        if question is not None:
            completed[key] = value
    for key, question in asked.items():
        completed.setdefault(key, question.default)
        problem = validate_answer(key, completed[key], question.choices)
        if problem:
            raise AnswerError(f"the template's default for {problem}")
    return completed
