"""Where a recorded call stack points: the user's own code, a library, PyTorch, or plumbing.

A finding is placed at the innermost frame in the user's project and carries the frames that led
from there to the operator ("train.py:88 → timm/layers/pos_embed.py:41 → F.interpolate →
aten::upsample_bicubic2d_backward").
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Dict, List, Optional, Sequence, Tuple

from mlf_lint.audit.records import Frame, Process

USER, LIBRARY, TORCH, PLUMBING = "user", "library", "torch", "plumbing"
# Folders inside a project that hold installed code, not the project's own.
INSTALLED = frozenset({"site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox", ".eggs", "node_modules"})
# PyTorch frames that only pass a call on (module call machinery, dynamo guards, decorators).
_TORCH_PLUMBING = ("_dynamo/", "_compile.py", "utils/_contextlib.py", "overrides.py", "_jit_internal.py",
                   "utils/_python_dispatch.py", "autograd/graph.py", "autograd/__init__.py", "_tensor.py",
                   "optim/optimizer.py")
_MODULE_CALL = ("Module._call_impl", "Module._wrapped_call_impl")
MAX_LIBRARY_FRAMES = 4


@dataclass(frozen=True)
class Place:
    path: str          # relative to the project root, POSIX
    line: int
    col: int


@dataclass(frozen=True)
class Located:
    """A recorded stack as a finding shows it."""

    place: Optional[Place]                     # innermost frame in the user's project
    user_lines: Tuple[Tuple[str, int], ...]    # every project frame of the stack
    chain: Tuple[str, ...]                     # place, library frames, PyTorch API
    frames_chain: Tuple[str, ...]              # place and library frames only
    api: str                                   # the innermost PyTorch function reached ("" if none)
    api_outer: str                             # the PyTorch function or layer the caller called
    built_at: Optional[Place]                  # where that layer was built, if in the project
    during_import: bool                        # a library's import ran the operator


class FrameKinds:
    """Classifies the frames of one process's stacks against the project root."""

    def __init__(self, root: Path, process: Process, agent_dir: Path) -> None:
        self.root = str(root.resolve()) + os.sep
        torch_file = process.torch.get("file")
        self.torch_dir = (os.path.dirname(str(torch_file)) + os.sep) if torch_file else ""
        self.stdlib = (process.stdlib.rstrip(os.sep) + os.sep) if process.stdlib else ""
        self.agent_dir = str(agent_dir) + os.sep
        paths = [p for p in process.torch.get("sys_path") or () if p]
        self.sys_path = sorted((os.path.abspath(p).rstrip(os.sep) + os.sep for p in paths), key=len, reverse=True)
        self._real: Dict[str, str] = {}

    def real(self, filename: str) -> str:
        """The file's path with symbolic links resolved (the root is resolved too), once per file."""
        if filename not in self._real:
            self._real[filename] = filename if filename.startswith("<") else os.path.realpath(filename)
        return self._real[filename]

    def kind(self, frame: Frame) -> str:
        name = frame.filename
        if not name.startswith(self.root) and self.real(name).startswith(self.root):
            name = self.real(name)
        if name.startswith("<") or name.startswith(self.agent_dir):
            return PLUMBING
        if self.torch_dir and name.startswith(self.torch_dir):
            rel = name[len(self.torch_dir):].replace(os.sep, "/")
            if rel.startswith(_TORCH_PLUMBING) or frame.function in _MODULE_CALL:
                return PLUMBING
            return TORCH
        if name.startswith(self.root):
            rel_parts = PurePath(name[len(self.root):]).parts
            if not INSTALLED.intersection(rel_parts):
                return USER
            return LIBRARY
        if self.stdlib and name.startswith(self.stdlib) and "site-packages" not in name:
            return PLUMBING
        return LIBRARY

    def user_path(self, frame: Frame) -> str:
        name = frame.filename if frame.filename.startswith(self.root) else self.real(frame.filename)
        return name[len(self.root):].replace(os.sep, "/")

    def library_path(self, frame: Frame) -> str:
        """A library file relative to the sys.path entry it was imported from."""
        for entry in self.sys_path:
            if frame.filename.startswith(entry):
                return frame.filename[len(entry):].replace(os.sep, "/")
        return frame.filename.replace(os.sep, "/")

    def torch_name(self, frame: Frame) -> str:
        """``F.interpolate``, ``nn.Upsample``, ``nn.init.kaiming_uniform_``, ``DataLoader.__iter__``."""
        if frame.module is not None:
            return f"nn.{frame.module[0]}"
        rel = frame.filename[len(self.torch_dir):].replace(os.sep, "/")
        if rel == "nn/functional.py":
            return f"F.{frame.function}"
        if rel.startswith("nn/modules/"):
            return f"nn.{frame.function}"
        if "." in frame.function:  # a method: its class says enough
            return frame.function
        module = rel[:-3].replace("/", ".").replace(".__init__", "")
        return f"{'nn.' + module[3:] if module.startswith('nn.') else 'torch.' + module}.{frame.function}"


def locate(frames: Sequence[Frame], kinds: FrameKinds, sites: dict) -> Located:
    """``frames`` innermost first, as the agent records them."""
    labelled = [(f, kinds.kind(f)) for f in frames]
    user_index = next((i for i, (_, k) in enumerate(labelled) if k == USER), None)
    user_lines = tuple((kinds.user_path(f), f.line) for f, k in labelled if k == USER)
    inner = labelled[:user_index] if user_index is not None else labelled
    during_import = any(f.filename.startswith("<frozen importlib") for f, _ in inner)
    library = [f for f, k in reversed(inner) if k == LIBRARY]          # outer to inner
    innermost_library = next((i for i, (_, k) in enumerate(inner) if k == LIBRARY), len(inner))
    torch_frames = [f for f, k in reversed(inner[:innermost_library]) if k == TORCH]
    chain: List[str] = []
    place = None
    if user_index is not None:
        top = frames[user_index]
        place = Place(kinds.user_path(top), top.line, max(top.col, 0))
        chain.append(f"{place.path}:{place.line}")
    shown = library if len(library) <= MAX_LIBRARY_FRAMES else [*library[:2], None, *library[-2:]]
    for f in shown:
        chain.append("…" if f is None else f"{kinds.library_path(f)}:{f.line}")
    frames_chain = tuple(chain)
    api_names: List[str] = []
    built_at = None
    for f in torch_frames:
        name = kinds.torch_name(f)
        if not any(name == n or name.startswith(n + ".") for n in api_names):
            api_names.append(name)
        if f.module is not None and built_at is None and f.module[1] is not None:
            built_at = _built_at(sites.get(f.module[1]), kinds)
    chain.extend(api_names[:2] if len(api_names) <= 2 else [api_names[0], api_names[-1]])
    return Located(place, user_lines, tuple(chain), frames_chain, api_names[-1] if api_names else "",
                   api_names[0] if api_names else "", built_at, during_import)


def _built_at(frames: Optional[Sequence[Frame]], kinds: FrameKinds) -> Optional[Place]:
    for frame in frames or ():
        if kinds.kind(frame) == USER:
            return Place(kinds.user_path(frame), frame.line, max(frame.col, 0))
    return None
