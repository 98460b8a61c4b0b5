"""The ``pvsignal`` command line: thin commands that call :mod:`pvsignal.api` and render with Rich.

:mod:`pvsignal.cli.app` holds the Typer application; each command module registers its
commands on it and is imported here, once. Shared options live in :mod:`pvsignal.cli.options`,
tables, consoles and progress in :mod:`pvsignal.cli.render`.

Errors: a :class:`~pvsignal.errors.PvsignalError` (a user mistake) and a usage error (bad
option, missing argument) are printed unwrapped on stderr — one line per message, whatever
the console width — and exit with status 2, no traceback; so is an error of the file
system (permission, read-only, disk full, a file where a folder is expected: one line
naming the path). Ctrl-C
prints "interrupted — the lake is unchanged" (every lake write commits by one atomic
manifest replace, :mod:`pvsignal.store.lake`; after a commit of this run it says so) and
exits with status 130. Anything else
is a bug and raises.
"""

from __future__ import annotations

import errno
import signal
import sys

import typer

# each module registers its commands on app; this order is the order of `pvsignal --help`
from pvsignal.cli import (  # noqa: F401, I001
    faers_commands,
    download_commands,
    synth_commands,
    signal_commands,
    validate_commands,
    case_commands,
    bias_commands,
    trial_commands,
    interaction_commands,
    profile_commands,
    plot_commands,
    demo_commands,
    serve_commands,
)
from pvsignal.cli.app import app
from pvsignal.errors import PvsignalError

__all__ = ["app", "main"]


#: OS errors that mean "this path cannot be written" (any OSError is one line, exit 2)
_WRITE_ERRORS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR, errno.EEXIST}


class _Interrupt:
    """SIGINT handler that remembers it fired: DuckDB turns Ctrl-C into its own error."""

    fired = False

    def __call__(self, signum, frame):  # noqa: ANN001
        _Interrupt.fired = True
        raise KeyboardInterrupt


def _interrupted(argv: list[str]) -> str:
    """What an interruption left: nothing, or the commits made before it (each whole); a
    download keeps its partial file for the next run to resume."""
    from pvsignal.api.lake import commits_made

    if "download" in argv[:1]:
        return "interrupted — files already complete are kept; a partial one (.part) resumes on the next run"
    if not commits_made():
        return "interrupted — the lake is unchanged"
    return "interrupted after the commit — the lake holds that commit whole (this command's result)"


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; user and usage errors → message on stderr, exit status 2;
    Ctrl-C → one line, exit status 130."""
    from pvsignal.cli.render import print_error

    try:
        previous = signal.signal(signal.SIGINT, _Interrupt())
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        code = _run(argv)
        if _Interrupt.fired:  # Typer turns a KeyboardInterrupt into exit code 130, silently
            raise KeyboardInterrupt
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt) or (_Interrupt.fired and not isinstance(exc, SystemExit)):
            print_error(_interrupted(sys.argv[1:] if argv is None else argv))
            sys.exit(130)
        raise
    finally:
        _Interrupt.fired = False
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    sys.exit(code if isinstance(code, int) else 0)


def _run(argv: list[str] | None) -> int | None:
    from pvsignal.cli.render import print_error

    try:
        return app(args=argv, prog_name="pvsignal", standalone_mode=False)
    except OSError as exc:  # the file system said no (permission, read-only, full, not a folder …)
        where, why = exc.filename, exc.strerror or str(exc)
        if exc.errno in _WRITE_ERRORS and where:
            print_error(f"cannot write {where}: {why}")
        else:
            print_error(f"{where}: {why}" if where else why)
        sys.exit(2)
    except PvsignalError as exc:
        print_error(str(exc))
        sys.exit(2)
    except typer.Abort as exc:
        if _Interrupt.fired or isinstance(exc.__cause__, KeyboardInterrupt):  # click's wrapping of Ctrl-C
            raise KeyboardInterrupt from None
        print_error("aborted")
        sys.exit(1)
    except typer.TyperException as exc:  # click's usage errors (bad option, missing argument …)
        if type(exc).__name__ == "NoArgsIsHelpError":  # help was asked for by giving nothing
            typer.echo(exc.format_message(), err=True)  # type: ignore[attr-defined]
            sys.exit(2)
        ctx = getattr(exc, "ctx", None)
        usage = ctx.get_usage() if ctx is not None else None
        hint = f"Try '{ctx.command_path} --help' for help." if ctx is not None else None
        print_error(exc.format_message(), usage=usage, hint=hint)  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
