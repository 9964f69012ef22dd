"""What clinvault creates under its home is its user's alone: directories 0700, files 0600.

Every level of a directory path clinvault creates gets 0700 (``mkdir(parents=True)`` would
give the parents the umask's mode, typically 0755); a SQLite database file is created 0600
before SQLite opens it, and SQLite gives its ``-wal`` and ``-shm`` files the database's mode.

``clinvault serve`` checks the home at start (:func:`home_problems`): a home that its
group or others may enter is refused (the fix is named); data files readable beyond the
owner and a master key file kept inside the home, beside the data it protects, are warned
about (:func:`home_warnings`).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
DATA_SUFFIXES = (".db", ".db-wal", ".db-shm", ".key")


def private_dir(path: Path) -> Path:
    """Create ``path`` and every missing parent with mode 0700; existing levels are kept."""
    missing: list[Path] = []
    level = path
    while not level.exists():
        missing.append(level)
        level = level.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # a concurrent creator got there first
            directory.mkdir(mode=PRIVATE_DIR)
        os.chmod(directory, PRIVATE_DIR)  # exact, whatever the umask
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 (and its directories 0700) if it is missing."""
    private_dir(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return path
    os.close(descriptor)
    return path


def _loose(path: Path) -> bool:
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def home_problems(home: Path) -> list[str]:
    """Why the home may not be served from: it is open to its group or others."""
    if not home.is_dir():
        return []
    if _loose(home):
        mode = stat.S_IMODE(home.stat().st_mode)
        return [
            f"the home {home} has mode {mode:04o}: its group or others may read it; "
            f"run: chmod 700 {home}"
        ]
    return []


def loose_data_files(home: Path) -> list[Path]:
    """Database and key files under the home that the group or others may read."""
    if not home.is_dir():
        return []
    return sorted(
        path
        for path in home.rglob("*")
        if path.name.endswith(DATA_SUFFIXES) and path.is_file() and _loose(path)
    )


def key_beside_data(home: Path, key_file: Path) -> bool:
    """Whether the master key file lies inside the home (a copy of the home holds the key)."""
    try:
        key_file.resolve().relative_to(home.resolve())
    except ValueError:
        return False
    return True


def home_warnings(home: Path, key_file: Path, *, key_from_env: bool) -> list[str]:
    warnings = []
    loose = loose_data_files(home)
    if loose:
        warnings.append(
            f"{len(loose)} data file(s) under {home} are readable by group or others "
            f"(e.g. {loose[0].name}): run: chmod 600 on them"
        )
    if not key_from_env and key_beside_data(home, key_file):
        warnings.append(
            f"the master key file {key_file} is inside the home, beside the data it protects: "
            "a copy or backup of the home carries its key; keep the key outside the home "
            "(vault.master_key_file, or the CLINVAULT_MASTER_KEY env var from a secret store)"
        )
    return warnings
