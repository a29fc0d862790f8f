"""Dockerfiles: instructions with their physical lines, base images, installs in RUN, ENV.

Continuations (``\\`` or the ``# escape=`` character), comment lines inside a continuation and heredoc
bodies are handled, so every finding points at the physical line of the image or package it is about.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Dict, Iterator, List, Optional, Tuple

from mlf_lint.project_checks import shell
from mlf_lint.project_checks.images import split_image
from mlf_lint.project_checks.names import canonical
from mlf_lint.project_checks.specs import Pin, SpecError, parse_conda, parse_pip, url_kind

_PIP_VALUE_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
    "--trusted-host", "--platform", "--python-version", "--implementation", "--abi", "--src", "--progress-bar",
    "--config-settings", "-C", "--cache-dir", "--log", "--timeout", "--retries", "--no-binary",
    "--only-binary", "--upgrade-strategy", "--python", "--index-strategy", "--extra-index", "--proxy",
}
_PIP_FILE_OPTIONS = {"-r", "--requirement", "-c", "--constraint", "-e", "--editable"}
_CONDA_VALUE_OPTIONS = {"-c", "--channel", "-n", "--name", "-p", "--prefix", "--file", "--override-channels-x"}
# Images whose tag names the version of the library they ship: repository -> library.
_LIBRARY_IMAGES = {"pytorch/pytorch": "torch", "tensorflow/tensorflow": "tensorflow"}


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int
    physical: List[Tuple[int, str]] = field(default_factory=list)
    # (offset in args, physical line) where each physical line's text starts in ``args``
    starts: List[Tuple[int, int]] = field(default_factory=list)

    def line_at(self, offset: int) -> int:
        """The physical line holding the character at ``offset`` of ``args``."""
        line = self.line
        for start, number in self.starts:
            if start > offset:
                break
            line = number
        return line

    def line_of(self, needle: str, after: int = 0) -> int:
        """The physical line (at or after ``after``) that contains ``needle``; the first line otherwise."""
        for number, text in self.physical:
            if number >= after and needle in text:
                return number
        return self.line


def is_dockerfile_name(rel: str) -> bool:
    name = PurePosixPath(rel).name
    lower = name.lower()
    return lower in ("dockerfile", "containerfile") or lower.startswith(("dockerfile.", "containerfile.")) \
        or lower.endswith((".dockerfile", ".containerfile"))


def instructions(text: str) -> List[Instruction]:
    lines = text.splitlines()
    escape = "\\"
    for raw in lines:  # parser directives sit before the first instruction, as comments
        directive = re.match(r"^\s*#\s*escape\s*=\s*(\S)\s*$", raw, re.IGNORECASE)
        if directive:
            escape = directive.group(1)
        elif raw.strip() and not raw.lstrip().startswith("#"):
            break
    out: List[Instruction] = []
    current: Optional[Instruction] = None
    heredoc: Optional[str] = None
    for number, raw in enumerate(lines, start=1):
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
            continue
        if current is None:
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            head = raw.strip().split(None, 1)
            current = Instruction(head[0].upper(), "", number)
            current.physical.append((number, raw))
            body = (head[1] if len(head) > 1 else "").rstrip()
        elif raw.lstrip().startswith("#") or not raw.strip():
            continue  # a comment or blank line inside a continuation
        else:
            current.physical.append((number, raw))
            body = raw.rstrip()
        current.starts.append((len(current.args), number))
        if body.endswith(escape):
            current.args += body[:-1] + " "
            continue
        current.args = (current.args + body).strip()
        marker = re.search(r"<<-?\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?", current.args)
        if marker and current.keyword in ("RUN", "COPY"):
            heredoc = marker.group(1)
        out.append(current)
        current = None
    if current is not None:
        current.args = current.args.strip()
        out.append(current)
    return out


def substitute(value: str, variables: Dict[str, str]) -> str:
    def repl(match: "re.Match[str]") -> str:
        name = match.group(1) or match.group(2)
        return variables.get(name, match.group(0))
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)", repl, value)


@dataclass
class BaseImage:
    image: str   # as written after substitution
    line: int
    col: int
    tag: Optional[str]
    digest: Optional[str]

    @property
    def repository(self) -> str:
        return re.sub(r"^docker\.io/(library/)?", "", self.image.split("@")[0].rsplit(":", 1)[0]
                      if self.tag else self.image.split("@")[0])


def base_images(parsed: List[Instruction]) -> List[BaseImage]:
    args: Dict[str, str] = {}
    stages: set = set()
    out: List[BaseImage] = []
    for ins in parsed:
        if ins.keyword == "ARG":
            args.update(_assignments(ins.args, legacy=False))
        if ins.keyword != "FROM":
            continue
        words = [w for w in ins.args.split() if not w.startswith("--")]
        if not words:
            continue
        image = substitute(words[0], args)
        if len(words) >= 3 and words[1].lower() == "as":
            stages.add(words[2].lower())
        if "$" in image or image.lower() == "scratch" or image.lower() in stages:
            continue
        tag, digest = split_image(image)
        line = ins.line_of(words[0])
        col = dict(ins.physical).get(line, "").find(words[0])
        out.append(BaseImage(image, line, max(col, 0), tag, digest))
    return out


def image_library_version(image: BaseImage) -> Optional[Tuple[str, str]]:
    library = _LIBRARY_IMAGES.get(image.repository)
    match = re.match(r"^(\d+(?:\.\d+)+)", image.tag or "")
    return (library, match.group(1)) if library and match else None


def env_assignments(parsed: List[Instruction]) -> Iterator[Tuple[str, int, str]]:
    """(name, line, value) of every ENV instruction."""
    for ins in parsed:
        if ins.keyword == "ENV":
            for name, value in _assignments(ins.args, legacy=True).items():
                yield name, ins.line_of(name), value


def _assignments(args: str, legacy: bool) -> Dict[str, str]:
    try:
        tokens = shlex.split(args, comments=False, posix=True)
    except ValueError:
        tokens = args.split()
    if not tokens:
        return {}
    if "=" not in tokens[0]:
        if legacy and len(tokens) >= 1:  # ``ENV NAME value with spaces``
            value = args.split(None, 1)[1] if len(args.split(None, 1)) > 1 else ""
            return {tokens[0]: value.strip().strip("\"'")}
        return {} if legacy else {tokens[0]: ""}
    return dict(t.split("=", 1) for t in tokens if "=" in t)


def install_pins(parsed: List[Instruction], path: str) -> Tuple[List[Pin], List[Tuple[int, str]]]:
    """Packages named on ``pip install`` / ``uv pip install`` / ``conda install`` commands in RUN
    instructions, read through the shell lexer (comments, quotes, ``$(...)``, ``&&``/``;``)."""
    variables: Dict[str, str] = {}
    pins: List[Pin] = []
    errors: List[Tuple[int, str]] = []
    for ins in parsed:
        if ins.keyword in ("ARG", "ENV"):
            variables.update(_assignments(ins.args, legacy=ins.keyword == "ENV"))
        if ins.keyword != "RUN":
            continue
        # A Jinja / cookiecutter placeholder ({{ x }}, {% if %}) becomes one opaque word of the same length.
        args = _JINJA.sub(lambda m: "{" * len(m.group(0)), ins.args)
        for index, command in enumerate(shell.split(args).commands):
            words = command.words
            if index == 0:  # RUN --mount=... --network=... flags of the instruction itself
                while words and words[0].text.startswith("--") and not words[0].quoted:
                    words = words[1:]
            _command_pins(words, ins, path, variables, pins, errors)
    return pins, errors


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
# Words in front of the program: `sudo`, `env`, `time`, and `NAME=value` assignments.
_PREFIXES = frozenset({"sudo", "env", "time", "nice", "exec", "command"})


def _command_pins(words: List[shell.Word], ins: Instruction, path: str, variables: Dict[str, str],
                  pins: List[Pin], errors: List[Tuple[int, str]]) -> None:
    while words and (words[0].text in _PREFIXES or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0].text)):
        words = words[1:]
    found = _installer([w.text for w in words])
    if found is None:
        return
    manager, install_at = found
    skip_next = False
    value_options = _PIP_VALUE_OPTIONS | _PIP_FILE_OPTIONS if manager == "pip" else _CONDA_VALUE_OPTIONS
    for word in words[install_at + 1:]:
        token = word.text
        if skip_next:
            skip_next = False
            continue
        if token.startswith("-") and not word.quoted or token.startswith("--"):
            skip_next = token in value_options
            continue
        if _template(token):
            continue  # a Jinja / cookiecutter placeholder: the file is rendered before it is built
        spec = substitute(token, variables)
        if "$" in spec or "`" in spec or spec.startswith((".", "/", "~")) or (
                spec.endswith((".whl", ".tar.gz", ".zip")) and "://" not in spec):
            continue  # a value known only at run time, or a local path: not a registry pin
        line = ins.line_at(word.offset)
        try:
            if "://" in spec and "@" not in spec.split("://", 1)[0]:
                pins.append(Pin(_url_name(spec), url_kind(spec), None, path, line, spec))
            elif manager == "pip":
                pins.append(parse_pip(spec, path, line))
            else:
                pins.append(parse_conda(spec, path, line))
        except SpecError as exc:
            errors.append((line, str(exc)))


def _template(token: str) -> bool:
    return "{{" in token or "}}" in token or "{%" in token or "%}" in token


def _url_name(url: str) -> str:
    egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", url)
    return egg.group(1) if egg else url


def _installer(tokens: List[str]) -> Optional[Tuple[str, int]]:
    """("pip" or "conda", index of the install verb) when the words run a package install."""
    for index, word in enumerate(tokens[:-1]):
        base = word.rsplit("/", 1)[-1]
        nxt = tokens[index + 1]
        if re.match(r"^pip(\d(\.\d+)?)?$", base) and nxt == "install":
            return "pip", index + 1
        if re.match(r"^python(\d(\.\d+)?)?$", base) and nxt == "-m" and index + 3 < len(tokens) and \
                tokens[index + 2] in ("pip", "pip3") and tokens[index + 3] == "install":
            return "pip", index + 3
        if base == "uv" and nxt == "pip" and index + 2 < len(tokens) and tokens[index + 2] == "install":
            return "pip", index + 2
        if base in ("conda", "mamba", "micromamba") and nxt in ("install", "create"):
            return "conda", index + 1
        if index == 0 and base not in ("uv", "python", "python3") and not re.match(r"^pip", base):
            return None  # the program is something else (echo "pip install x" is not an install)
    return None


__all__ = ["instructions", "base_images", "install_pins", "env_assignments", "image_library_version",
           "is_dockerfile_name", "canonical"]
