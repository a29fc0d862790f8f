"""The fix flags of ``mlf-lint check`` (--fix, --diff, --fix-only, --add-noqa, --pin ...): their
options and their command handling over ``mlf_lint.fix``. Kept apart from ``check`` so that the
check command stays one decorator and one call away from them, and LibCST loads only when a flag
needs it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Tuple

import click

from mlf_lint.cli.errors import EXIT_FINDINGS, EXIT_OK, finish
from mlf_lint.engine.result import RunResult

# Formats that print fix details (ruff-style JSON "fix" objects, SARIF fixes).
FIX_AWARE_FORMATS = ("json", "sarif")

_OPTIONS = (
    click.option("--fix", "fix", is_flag=True, help="Apply the safe fixes, then report what remains."),
    click.option("--unsafe-fixes", is_flag=True,
                 help="With --fix/--diff/--fix-only, apply the fixes that change results too (e.g. a chosen seed)."),
    click.option("--diff", "diff", is_flag=True,
                 help="Print the fixes as a unified diff and change nothing (exit 1 if there is one)."),
    click.option("--fix-only", is_flag=True, help="Apply fixes and report nothing that remains."),
    click.option("--show-fixes", is_flag=True, help="List the fixes applied (on standard error)."),
    click.option("--add-noqa", is_flag=True,
                 help="Append `# noqa: CODE` to every line with a finding, then exit."),
    click.option("--pin", "pin", multiple=True, metavar="LIB=VER",
                 help="With --fix/--diff: pin LIB to exactly VER where environment.yml or requirements leave it open."),
)


def fix_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds the fix flags; the command receives them as keyword arguments."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


@dataclass(frozen=True)
class FixFlags:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    fix_only: bool = False
    show_fixes: bool = False
    add_noqa: bool = False
    pin: Tuple[str, ...] = ()

    @classmethod
    def from_kwargs(cls, values: Dict[str, Any]) -> "FixFlags":
        flags = {name: bool(values.get(name)) for name in cls.__dataclass_fields__ if name != "pin"}
        return cls(**flags, pin=tuple(values.get("pin") or ()))

    @property
    def applies(self) -> bool:
        return self.fix or self.fix_only


def _echo_err(message: str) -> None:
    click.echo(f"mlf-lint: {message}", err=True)


def _where(candidate: Any) -> str:
    finding = candidate.finding
    cell = f"cell {finding.cell}:" if finding.cell else ""
    return f"{finding.path}:{cell}{finding.line}:{finding.col + 1}"


def handle_fix_flags(result: RunResult, flags: FixFlags, fmt: str,
                     rerun: Callable[[], RunResult]) -> RunResult:
    """Run the fix flags on a finished run. Returns the result to report (re-analysed after
    ``--fix``), or exits itself for ``--diff``, ``--fix-only`` and ``--add-noqa``."""
    if flags.pin and not (flags.diff or flags.applies):
        raise click.UsageError("--pin changes files: use it with --fix or --diff")
    if flags.add_noqa:
        from mlf_lint.fix.noqa import add_noqa

        added, messages = add_noqa(result)
        for message in messages:
            _echo_err(message)
        _echo_err(f"added {added} noqa directive{'s' if added != 1 else ''}")
        finish(EXIT_OK)
    if flags.diff:
        from mlf_lint.fix.session import plan_fixes, unified_diff

        plan = plan_fixes(result, flags.unsafe_fixes)
        pinned = _add_pins(plan, result, flags)
        for message in plan.messages:
            _echo_err(message)
        click.echo(unified_diff(plan), nl=False)
        count = len(plan.applied) + pinned
        _echo_err(f"would fix {count} finding{'s' if count != 1 else ''} in {len(plan.files)} "
                  f"file{'s' if len(plan.files) != 1 else ''}" + _hidden_unsafe(result, flags))
        finish(EXIT_FINDINGS if count else EXIT_OK)
    if flags.applies:
        from mlf_lint.fix.session import plan_fixes, write_fixes

        plan = plan_fixes(result, flags.unsafe_fixes)
        pinned = _add_pins(plan, result, flags)
        for message in [*plan.messages, *write_fixes(plan)]:
            _echo_err(message)
        if pinned:
            _echo_err(f"pinned {pinned} entr{'ies' if pinned != 1 else 'y'} ({', '.join(flags.pin)})")
        applied = plan.applied
        if flags.show_fixes:
            for candidate in applied:
                click.echo(f"fixed {_where(candidate)} {candidate.finding.code}: {candidate.fix.description}",
                           err=True)
        _echo_err(f"fixed {len(applied)} finding{'s' if len(applied) != 1 else ''}"
                  + _hidden_unsafe(result, flags))
        if flags.fix_only:
            finish(EXIT_OK)
        if applied or pinned:
            result = rerun()
    if flags.applies or flags.show_fixes or fmt in FIX_AWARE_FORMATS:
        from mlf_lint.fix.session import attach_fixes

        result = attach_fixes(result)
    return result


def _add_pins(plan: Any, result: RunResult, flags: FixFlags) -> int:
    """Project-file pins (``--pin``) join the plan as whole-file rewrites; returns how many entries."""
    if not flags.pin:
        return 0
    from mlf_lint.fix.pins import parse_pins, plan_pins
    from mlf_lint.fix.session import FileFix

    try:
        pins = parse_pins(flags.pin)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    edits, messages, count = plan_pins(result, pins)
    plan.messages.extend(messages)
    for path, rel, original, text in edits:
        plan.files.append(FileFix(path=path, rel=rel, original=original, text=text, applied=[]))
    return count


def _hidden_unsafe(result: RunResult, flags: FixFlags) -> str:
    if flags.unsafe_fixes:
        return ""
    from mlf_lint.fix.registry import all_fixers

    fixers = all_fixers()
    unsafe = sum(1 for f in result.findings if f.code in fixers and not fixers[f.code].safe)
    return f" ({unsafe} more may have an unsafe fix: --unsafe-fixes)" if unsafe else ""
