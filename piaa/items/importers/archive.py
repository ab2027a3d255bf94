"""Zip archives from outside (QTI packages, zipped bank folders, XLSX workbooks), opened safely.

A zip states each member's packed and unpacked size in its central directory, so a bomb (a
megabyte that unpacks to a gigabyte) can be refused from the directory alone, before one
byte is inflated: by member count, total unpacked size, one member's size, and compression
ratio. What is then read is read in chunks and counted, so a directory that lies about sizes
cannot make the reader hold more than the limits either (Python's ``zipfile`` also stops a
member at its stated size and checks its CRC).
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 20_000  # a 10,000-item QTI package is about 10,000 files and its manifest
MAX_UNPACKED_BYTES = 128 * 1024 * 1024  # twice the upload limit (MAX_CONTENT_LENGTH, 64 MiB)
MAX_MEMBER_BYTES = 32 * 1024 * 1024
# Item XML and JSON pack 5-20 times; OWASP's guidance names 100 as a sound ceiling. Small
# members are let through whatever their ratio: a few kilobytes cannot hurt.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024
CHUNK = 64 * 1024


class ArchiveRefused(Exception):
    """The archive is unsafe or unreadable; the message says why, for the user."""


def open_archive(data: bytes | Path) -> zipfile.ZipFile:
    """A checked zip archive of ``data`` (bytes or a file path).

    :raise ArchiveRefused: if it is not a zip, or its directory exceeds a limit above.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveRefused("not a readable zip archive") from exc
    try:
        check_directory(archive.infolist())
    except ArchiveRefused:
        archive.close()
        raise
    return archive


def check_directory(members: list[zipfile.ZipInfo]) -> None:
    """:raise ArchiveRefused: if the members, as the directory states them, exceed a limit."""
    if len(members) > MAX_MEMBERS:
        raise ArchiveRefused(f"the archive holds {len(members):,} members; at most {MAX_MEMBERS:,} are accepted")
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise ArchiveRefused(f"the archive unpacks to more than {_mib(MAX_UNPACKED_BYTES)}, "
                             "the most accepted")
    for member in members:
        if member.file_size > MAX_MEMBER_BYTES:
            raise ArchiveRefused(f"{member.filename} unpacks to {_mib(member.file_size)}; "
                                 f"at most {_mib(MAX_MEMBER_BYTES)} a file is accepted")
        if member.file_size > RATIO_FLOOR_BYTES and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ArchiveRefused(f"{member.filename} is packed {member.file_size // max(member.compress_size, 1):,} "
                                 f"to 1; at most {MAX_RATIO} to 1 is accepted")


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MiB"


def is_safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return not (name.startswith("/") or "\\" in name or ".." in parts or ":" in (parts[0] if parts else ""))


class _Budget:
    """Bytes left to unpack from one archive, across all its members."""

    def __init__(self) -> None:
        self.left = MAX_UNPACKED_BYTES

    def chunks(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
        read = 0
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(CHUNK):
                    read += len(chunk)
                    self.left -= len(chunk)
                    if read > MAX_MEMBER_BYTES or self.left < 0:
                        raise ArchiveRefused(f"{member.filename} unpacks to more than its stated size allows")
                    yield chunk
        except (zipfile.BadZipFile, EOFError, NotImplementedError, OSError) as exc:
            raise ArchiveRefused(f"{member.filename} cannot be unpacked ({exc})") from exc


class ArchiveFiles(Mapping[str, bytes]):
    """The files of a checked archive by path, each unpacked (within the limits) when asked
    for: a package's media and stray files are never inflated."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._members = {str(PurePosixPath(m.filename)): m for m in archive.infolist() if not m.is_dir()}
        self._budget = _Budget()

    def __getitem__(self, path: str) -> bytes:
        member = self._members[path]
        return b"".join(self._budget.chunks(self._archive, member))

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)


def extract(archive: zipfile.ZipFile, scratch: Path) -> None:
    """Unpack a checked archive into ``scratch``, streaming each member to disk.

    :raise ArchiveRefused: on an unsafe path (absolute, ``..``) or a limit passed while unpacking.
    """
    members = archive.infolist()
    for member in members:
        if not is_safe_name(member.filename):
            raise ArchiveRefused(f"unsafe path {member.filename!r} in archive")
    budget = _Budget()
    for member in members:
        target = scratch / member.filename
        if member.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            for chunk in budget.chunks(archive, member):
                out.write(chunk)

