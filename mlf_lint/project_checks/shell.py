"""A small POSIX shell lexer for the command lines of Dockerfile ``RUN`` instructions and CI steps.

It splits a command line into simple commands at ``&&``, ``||``, ``;``, ``|``, ``&`` and newlines,
and each command into words, the way the shell would before expansion: quotes are removed
(``'...'`` literal, ``"..."`` with backslash escapes), backslash-newline continues the line, ``#``
at the start of a word begins a comment that runs to the end of the line, and ``$(...)``,
backticks and ``${...}`` are kept whole inside their word (nested, with their own quotes and
separators), so ``$(python -c 'import sys; print(sys.prefix)')`` is one word and not a package
list. A word that holds a command substitution, or a variable the caller cannot resolve, is
marked ``dynamic``: its value is known only when the command runs.

Each word keeps the offset of its first character in the input, so a finding can point at the
physical line the word is on. Unterminated quotes or substitutions end at the end of the input
(``complete`` is then False) rather than raising: a half-written command still yields its words.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

_OPERATORS = ("&&", "||", ";;", ";", "|", "&")


@dataclass
class Word:
    text: str          # after quote removal, substitutions kept verbatim
    offset: int        # offset of the word's first character in the input
    dynamic: bool = False  # holds $(...), `...` or $VAR / ${VAR}: known only at run time
    quoted: bool = False


@dataclass
class Command:
    words: List[Word] = field(default_factory=list)

    @property
    def texts(self) -> List[str]:
        return [w.text for w in self.words]


@dataclass
class Script:
    commands: List[Command]
    complete: bool = True  # False: an unterminated quote or substitution ran to the end


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.complete = True
        self.commands: List[Command] = [Command()]

    def run(self) -> Script:
        text, n = self.text, len(self.text)
        while self.i < n:
            c = text[self.i]
            if c == "\\" and text.startswith("\n", self.i + 1):
                self.i += 2  # line continuation between words
            elif c in " \t\r":
                self.i += 1
            elif c == "\n":
                self._end_command()
                self.i += 1
            elif c == "#":
                end = text.find("\n", self.i)
                self.i = n if end < 0 else end  # a comment: to the end of the line
            elif any(text.startswith(op, self.i) for op in _OPERATORS):
                op = next(op for op in _OPERATORS if text.startswith(op, self.i))
                self._end_command()
                self.i += len(op)
            elif c in "()":
                self._end_command()  # a subshell: its commands are read like the others
                self.i += 1
            else:
                self._word()
        return Script([cmd for cmd in self.commands if cmd.words], self.complete)

    def _end_command(self) -> None:
        if self.commands[-1].words:
            self.commands.append(Command())

    def _word(self) -> None:
        text, n = self.text, len(self.text)
        start = self.i
        out: List[str] = []
        dynamic = quoted = False
        while self.i < n:
            c = text[self.i]
            if c in " \t\r\n" or c == "#" and not out and not quoted or \
                    any(text.startswith(op, self.i) for op in _OPERATORS):
                break
            if c == "\\":
                if text.startswith("\n", self.i + 1):
                    self.i += 2  # continuation inside a word
                    continue
                out.append(text[self.i + 1:self.i + 2])
                self.i += 2
            elif c == "'":
                quoted = True
                end = text.find("'", self.i + 1)
                if end < 0:
                    self.complete, end = False, n
                out.append(text[self.i + 1:end])
                self.i = end + 1
            elif c == '"':
                quoted = True
                dynamic |= self._double_quoted(out)
            elif c == "$" or c == "`":
                dynamic = True
                out.append(self._substitution())
            elif c in "()":
                break
            else:
                out.append(c)
                self.i += 1
        if self.i == start:  # a lone ")" or similar: step over it
            self.i += 1
            return
        self.commands[-1].words.append(Word("".join(out), start, dynamic, quoted))

    def _double_quoted(self, out: List[str]) -> bool:
        text, n = self.text, len(self.text)
        self.i += 1
        dynamic = False
        while self.i < n and text[self.i] != '"':
            c = text[self.i]
            if c == "\\" and self.i + 1 < n and text[self.i + 1] in '"\\$`\n':
                if text[self.i + 1] != "\n":
                    out.append(text[self.i + 1])
                self.i += 2
            elif c == "$" or c == "`":
                dynamic = True
                out.append(self._substitution())
            else:
                out.append(c)
                self.i += 1
        if self.i >= n:
            self.complete = False
        self.i += 1
        return dynamic

    def _substitution(self) -> str:
        """``$(...)``, ``$((...))``, ``${...}``, ``$NAME`` or a backtick command, kept verbatim."""
        text, n = self.text, len(self.text)
        start = self.i
        if text[self.i] == "`":
            end = text.find("`", self.i + 1)
            if end < 0:
                self.complete, end = False, n - 1
            self.i = end + 1
            return text[start:self.i]
        nxt = text[self.i + 1:self.i + 2]
        if nxt in ("(", "{"):
            close = ")" if nxt == "(" else "}"
            depth, self.i = 0, self.i + 1
            while self.i < n:
                c = text[self.i]
                if c == "'":
                    end = text.find("'", self.i + 1)
                    self.i = n if end < 0 else end + 1
                    continue
                if c == "\\":
                    self.i += 2
                    continue
                if c == nxt:
                    depth += 1
                elif c == close:
                    depth -= 1
                    if depth == 0:
                        self.i += 1
                        return text[start:self.i]
                self.i += 1
            self.complete = False
            return text[start:]
        self.i += 1
        while self.i < n and (text[self.i].isalnum() or text[self.i] == "_"):
            self.i += 1
        if self.i == start + 1 and self.i < n and text[self.i] in "?@#$!*-0123456789":
            self.i += 1  # $?, $@, $1 ...
        return text[start:self.i]


def split(text: str) -> Script:
    """The simple commands of a shell command line, each as words (see the module docstring)."""
    return _Lexer(text).run()


__all__ = ["Word", "Command", "Script", "split"]
