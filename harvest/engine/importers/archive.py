"""Open a data dump as named XML streams, whatever it was shipped as.

A dump is a set of XML files (``Posts.xml``, ``Users.xml`` …) that arrives as a
folder, a single ``.xml`` file, a ``.zip``, a ``.7z`` (the official Stack
Exchange format), a ``.tar.gz``/``.tgz``/``.tar`` of the folder, or a ``.gz`` of
one XML file. :func:`open_dump` hides the difference::

    with open_dump(path, wanted={"Posts.xml", "PostLinks.xml"}) as dump:
        if dump.has("Posts.xml"):
            with dump.open("Posts.xml") as stream:   # binary, read sequentially
                ...

File names are matched case-insensitively on their base name, so an archive that
keeps the files in a sub-folder works too. Everything streams from the archive
except ``.7z``: py7zr can only extract, so the wanted members are extracted once
into a temporary folder (disk, not memory) that ``close()`` removes.
"""
from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, Iterable

import py7zr

__all__ = ["DumpError", "DumpFiles", "open_dump", "canonical_name"]

# Canonical spelling of the files a Stack Exchange dump may hold; a lower-cased
# stem (also the XML root element name) maps back to it.
KNOWN_FILES = (
    "Posts.xml", "Users.xml", "Comments.xml", "PostLinks.xml", "Tags.xml",
    "Votes.xml", "Badges.xml", "PostHistory.xml",
)
_BY_STEM = {name[:-4].lower(): name for name in KNOWN_FILES}
# What a damaged archive raises from the standard library and py7zr.
_READ_ERRORS = (OSError, EOFError, zlib.error, zipfile.BadZipFile, tarfile.TarError, py7zr.Bad7zFile)


class DumpError(Exception):
    """The dump cannot be read at all (missing file, unreadable archive)."""


def canonical_name(file_name: str) -> str:
    """``posts.XML`` -> ``Posts.xml``; unknown names come back unchanged."""
    base = os.path.basename(file_name.replace("\\", "/"))
    stem = base[:-4] if base.lower().endswith(".xml") else base
    return _BY_STEM.get(stem.lower(), base)


class DumpFiles:
    """The XML files of one dump. Use as a context manager; ``open()`` streams."""

    def __init__(self, path: Path, *, wanted: frozenset[str] | None) -> None:
        self.path = path
        self._wanted = wanted
        self._members: dict[str, object] = {}  # canonical name -> where it lives
        self._kind = ""
        self._handle: zipfile.ZipFile | tarfile.TarFile | None = None
        self._tmp: str | None = None
        self._index()

    # -- discovery ---------------------------------------------------------
    def _index(self) -> None:
        path, lower = self.path, self.path.name.lower()
        if not path.exists():
            raise DumpError(f"dump not found: {path}")
        if path.is_dir():
            self._kind = "dir"
            for child in sorted(path.iterdir()):
                if child.is_file() and child.name.lower().endswith(".xml"):
                    self._add(canonical_name(child.name), child)
            return
        try:
            if lower.endswith(".xml"):
                self._kind = "dir"
                self._add(canonical_name(path.name), path)
            elif lower.endswith(".zip"):
                self._index_zip()
            elif lower.endswith(".7z"):
                self._index_7z()
            elif lower.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")):
                self._index_tar()
            elif lower.endswith(".gz"):
                self._index_gz()
            else:
                raise DumpError(
                    f"unsupported dump {path.name!r}: expected a folder, .xml, .zip, .7z, .tar.gz or .gz"
                )
        except DumpError:
            self.close()
            raise
        except _READ_ERRORS as exc:
            self.close()
            raise DumpError(f"unreadable archive {path.name}: {exc}") from exc

    def _add(self, name: str, where: object) -> None:
        # First one wins: an archive that holds two Posts.xml is ambiguous, and the
        # one nearest the top (sorted order) is the likelier intended file.
        self._members.setdefault(name, where)

    def _index_zip(self) -> None:
        self._kind = "zip"
        handle = zipfile.ZipFile(self.path)
        self._handle = handle
        for info in sorted(handle.infolist(), key=lambda i: (i.filename.count("/"), i.filename)):
            if not info.is_dir() and info.filename.lower().endswith(".xml"):
                self._add(canonical_name(info.filename), info)

    def _index_tar(self) -> None:
        self._kind = "tar"
        handle = tarfile.open(self.path, "r:*")
        self._handle = handle
        for member in sorted(handle.getmembers(), key=lambda m: (m.name.count("/"), m.name)):
            if member.isfile() and member.name.lower().endswith(".xml"):
                self._add(canonical_name(member.name), member)

    def _index_7z(self) -> None:
        self._kind = "7z"
        with py7zr.SevenZipFile(self.path, mode="r") as archive:
            if archive.needs_password():
                raise DumpError(f"archive {self.path.name} is password-protected")
            names = sorted(archive.getnames(), key=lambda n: (n.count("/"), n))
        for name in names:
            if name.lower().endswith(".xml"):
                self._add(canonical_name(name), name)

    def _index_gz(self) -> None:
        # A .gz is either a tarball of the dump folder or one gzipped XML file.
        try:
            self._index_tar()
            return
        except tarfile.ReadError:
            self.close()
        self._kind = "gz"
        with gzip.open(self.path, "rb") as stream:
            head = stream.read(4096)
        self._add(_name_from_root(head) or canonical_name(self.path.name[:-3]), self.path)

    # -- access ------------------------------------------------------------
    def names(self) -> frozenset[str]:
        """Canonical names of the XML files the dump holds."""
        return frozenset(self._members)

    def has(self, name: str) -> bool:
        return canonical_name(name) in self._members

    def open(self, name: str) -> BinaryIO:
        """A binary stream of ``name``; the caller closes it. Raises DumpError if absent."""
        name = canonical_name(name)
        where = self._members.get(name)
        if where is None:
            raise DumpError(f"{name} not found in {self.path.name}")
        try:
            if self._kind == "dir":
                return open(where, "rb")  # type: ignore[arg-type]
            if self._kind == "gz":
                return gzip.open(where, "rb")  # type: ignore[arg-type,return-value]
            if self._kind == "zip":
                return self._handle.open(where)  # type: ignore[union-attr,arg-type]
            if self._kind == "tar":
                stream = self._handle.extractfile(where)  # type: ignore[union-attr,arg-type]
                if stream is None:
                    raise DumpError(f"{name} in {self.path.name} is not a regular file")
                return stream
            return open(self._extract_7z(name), "rb")
        except _READ_ERRORS as exc:
            raise DumpError(f"cannot read {name} from {self.path.name}: {exc}") from exc

    def _extract_7z(self, name: str) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="gleaner-dump-")
            # One pass over the (usually solid) archive for every file the caller
            # will need; extracting them one by one would decompress it again each time.
            targets = [
                str(member) for canon, member in self._members.items()
                if self._wanted is None or canon in self._wanted or canon == name
            ]
            with py7zr.SevenZipFile(self.path, mode="r") as archive:
                archive.extract(path=self._tmp, targets=targets)
        target = Path(self._tmp) / str(self._members[name])
        if not target.is_file():  # asked for a file outside ``wanted``
            with py7zr.SevenZipFile(self.path, mode="r") as archive:
                archive.extract(path=self._tmp, targets=[str(self._members[name])])
        return target

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> "DumpFiles":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _name_from_root(head: bytes) -> str:
    """Canonical file name from the root element in the first bytes of an XML file."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    position = 0
    while True:
        start = text.find("<", position)
        if start < 0 or start + 1 >= len(text):
            return ""
        if text[start + 1] in "?!":
            position = start + 1
            continue
        tag = text[start + 1:].split(None, 1)[0].rstrip(">/").lower()
        return _BY_STEM.get(tag, "")


def open_dump(path: str | os.PathLike[str], *, wanted: Iterable[str] | None = None) -> DumpFiles:
    """Index the dump at ``path`` (folder, .xml, .zip, .7z, .tar[.gz], .gz).

    ``wanted`` names the files the caller will read; for ``.7z`` only those are
    extracted. Raises :class:`DumpError` when the path is missing or not a readable
    archive; never returns a half-open object.
    """
    wanted_set = frozenset(canonical_name(n) for n in wanted) if wanted is not None else None
    return DumpFiles(Path(path), wanted=wanted_set)
