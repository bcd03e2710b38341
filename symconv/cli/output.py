"""Output: printing, atomic writes (all files or none), refusals that protect existing files, progress."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import click

from symconv.cli.errors import EXIT_BROKEN_PIPE, PROG, CliError
from symconv.codegen.driver import MARKER

# -- printing and writing -----------------------------------------------------------


def _progress(note: str) -> None:
    """A short note on stderr while slow work runs, only for a person at a terminal."""
    if sys.stderr.isatty():
        click.echo(f"{PROG}: {note}", err=True)


def _check_out(out: Path) -> None:
    """Fail early, before any slow work, when ``--out`` cannot be written."""
    if out.is_dir():
        raise CliError(f"--out {out} is a directory: give a file name")
    _check_regular(out)
    if not out.parent.is_dir():
        raise CliError(f"--out {out}: the directory {out.parent} does not exist")


def _check_regular(out: Path, printable: bool = True) -> None:
    """Refuse to replace a device, pipe, link or read-only file: files are written by renaming a new
    file over them. ``printable``: the command prints when --out is left out (derive, figure)."""
    if out.is_symlink() or (out.exists() and not out.is_file()):
        kind = "a symbolic link" if out.is_symlink() else "not a regular file"
        fix = "give the path of a regular file" + (" (or leave out --out to print)" if printable else
                                                   ", or choose another --out or --name")
        raise CliError(
            f"--out {out} is {kind}: symconv writes a new file and renames it into place, which would "
            f"replace it; {fix}"
        )
    if out.exists() and not out.stat().st_mode & stat.S_IWUSR:
        raise CliError(f"--out {out} is read-only: symconv does not replace it; make it writable "
                       "(chmod u+w) or choose another file")


def _stage(text: str, out: Path) -> str:
    """Write ``text`` to a new temp file beside ``out`` (same directory, so os.replace is atomic),
    with ``out``'s mode if it exists (else the usual one).

    Returns the temp file's path; on failure nothing is left behind and the OSError propagates.
    """
    fd, temp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        if out.exists():
            mode = stat.S_IMODE(out.stat().st_mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # mkstemp makes 0600; give the usual mode
        os.chmod(temp, mode)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return temp


def _backup(path: Path) -> str:
    """A copy of ``path``'s present content beside it (a hard link where the file system allows)."""
    fd, backup = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old")
    os.close(fd)
    os.unlink(backup)
    try:
        os.link(path, backup)
    except OSError:  # no hard links here, or the file may not be linked (immutable): a copy
        shutil.copy2(path, backup)
    return backup


def _write_all(files: dict[Path, str]) -> None:
    """Write every file atomically, all or none.

    Every text goes to a temp file first (where a full disk or a missing permission
    shows up) and every file it replaces is kept aside; only then are they moved into
    place, one os.replace each. If one of those fails, the files already replaced get
    their old content back (and new ones are removed), so the set on disk is the old
    one or the new one, never a mix.
    """
    staged: dict[Path, str] = {}
    backups: dict[Path, str | None] = {}  # a replaced file's old content (None: it did not exist)
    replaced: list[Path] = []
    out = next(iter(files))
    try:
        for out, text in files.items():
            staged[out] = _stage(text, out)
        for out in files:
            backups[out] = _backup(out) if out.exists() else None
        for out in files:
            os.replace(staged[out], out)
            del staged[out]
            replaced.append(out)
    except OSError as error:
        for path in reversed(replaced):  # roll back
            old = backups.pop(path)
            with contextlib.suppress(OSError):
                if old is None:
                    os.unlink(path)
                else:
                    os.replace(old, path)
        restored = " (the files already replaced were restored)" if replaced else ""
        raise CliError(f"--out {out}: {error.strerror or error}; nothing was written{restored}") from None
    finally:
        for temp in [*staged.values(), *(b for b in backups.values() if b is not None)]:
            with contextlib.suppress(OSError):
                os.unlink(temp)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` (POSIX flock on the directory itself, no lock file) so
    that concurrent writers into it take turns: each writes its whole set of files."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write(text: str, out: Path | None) -> None:
    """Print ``text``, or write it to ``out`` atomically: a temp file beside it, then os.replace."""
    if out is None:
        try:
            click.echo(text, nl=False)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (symconv derive … | head): stop quietly, as if by SIGPIPE.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
        except OSError as error:  # e.g. standard output on a full disk
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise CliError(f"cannot write to standard output: {error.strerror or error}") from None
        return
    _write_all({out: text})
    _progress(f"wrote {out}")


# -- gen's output directory: refusals before anything is written, and how to use the files ----


def _check_out_dir(out: Path) -> None:
    """``--out`` must be a directory, or not exist yet (it is created)."""
    if out.exists() and not out.is_dir():
        raise CliError(f"--out {out} is not a directory: give a directory, e.g. --out generated")


def _generated_by_symconv(path: Path) -> bool:
    """Whether ``path``'s first line carries the marker every generated file starts with."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096)
    except OSError as error:
        reason = error.strerror or error
        raise CliError(f"--out: cannot read {path} to check who wrote it: {reason}") from None
    return MARKER.encode("utf-8") in first


def _check_overwrites(paths: Iterable[Path], force: bool) -> None:
    """Refuse, before anything is written, to replace a directory or a file symconv did not generate."""
    foreign = []
    for path in paths:
        if path.is_dir():
            raise CliError(f"--out: {path} is a directory, so the generated file cannot be written there")
        _check_regular(path, printable=False)
        if path.exists() and not force and not _generated_by_symconv(path):
            foreign.append(str(path))
    if foreign:
        were = "was" if len(foreign) == 1 else "were"
        raise CliError(
            f"refusing to overwrite {', '.join(foreign)}: it {were} not generated by symconv (the first "
            f"line lacks {MARKER!r}); nothing was written; pass --force to replace it, or choose another "
            "--out or --name"
        )


def _make_dirs(out: Path) -> list[Path]:
    """Create ``out`` and its missing parents; the directories created, deepest first."""
    missing = [d for d in (out, *out.parents) if not d.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"--out {out}: cannot create the directory: {error.strerror or error}") from None
    return missing


