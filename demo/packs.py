"""Write git objects straight into a pack file (`.pack` + `.idx` version 2), without git.

`git fast-import` hashes every byte with SHA-1DC (collision detection, ~7 ns/byte) in one process,
and the generator had to read each rendered file back to pipe it in. The render workers already
hold each file's bytes, and `hashlib.sha1` uses the CPU's SHA instructions, so each worker writes
the blobs of its runs into a pack of its own and returns their ids; `gitrepo` then writes the
trees and commits that name them into one more pack.

Objects are stored, not compressed (zlib stored blocks, like `core.compression=0`): the logs are
written once and read by the ingest, so CPU time matters more than disk. A pack's bytes depend
only on the blobs added, in order, so the same runs give the same pack.

>>> writer = PackWriter(Path("repo/.git/objects/pack"), expected=1)   # doctest: +SKIP
>>> writer.add(b"hello\\n")                                            # doctest: +SKIP
'ce013625030ba8dba906f756967f9e9ca394464a'
>>> writer.close()                                                     # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import mmap
import os
import struct
import zlib
from pathlib import Path
from typing import Dict, List, Optional, Tuple

_TYPES = {"commit": 1, "tree": 2, "blob": 3}
_STORED = 0xFFFF  # the largest stored deflate block
_SMALL_OFFSET = 0x80000000  # offsets from here on go to the idx's 64-bit table


def object_id(data: bytes, kind: str = "blob") -> bytes:
    """The git object id (20 bytes) of an object; `.hex()` of a blob's is what `git hash-object` prints."""
    digest = hashlib.sha1(b"%s %d\0" % (kind.encode(), len(data)))
    digest.update(data)
    return digest.digest()


def _entry_header(kind: str, size: int) -> bytes:
    """Pack entry header: type and size, 4 bits then 7 bits a byte, low bits first."""
    out = bytearray()
    byte = (_TYPES[kind] << 4) | (size & 0x0F)
    size >>= 4
    while size:
        out.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    out.append(byte)
    return bytes(out)


def stored_zlib(data: bytes) -> List[bytes]:
    """A zlib stream of `data` in stored (uncompressed) blocks, as pieces to write in order.

    `zlib.compress(data, 0)` makes the same kind of stream but at well under 1 GB/s; slicing and
    one `adler32` is several times faster.
    """
    view = memoryview(data)
    pieces: List[bytes] = [b"\x78\x01"]
    size = len(data)
    start = 0
    while True:
        chunk = view[start:start + _STORED]
        start += len(chunk)
        final = start >= size
        pieces.append(struct.pack("<BHH", final, len(chunk), len(chunk) ^ 0xFFFF))
        pieces.append(chunk)
        if final:
            break
    pieces.append(struct.pack(">I", zlib.adler32(data)))
    return pieces


_BLOCK = 4096          # O_DIRECT wants buffers, offsets and lengths in whole blocks
_CHUNK = 4 << 20       # bytes gathered before each write


class DirectFile:
    """A new file written front to back with `O_DIRECT`, through one aligned buffer.

    A pack is gigabytes that nothing reads back while the corpus is generated; a normal write
    copies each byte into the page cache, which on this kind of virtual machine costs more CPU
    than rendering the byte's share of the log did (~2 ns/byte, measured), while a direct write
    hands the buffer to the disk. Where the filesystem refuses `O_DIRECT` it is a plain file.
    """

    def __init__(self, path: Path):
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        direct = getattr(os, "O_DIRECT", 0)
        try:
            self._fd = os.open(path, flags | direct, 0o644)
            self._direct = bool(direct)
        except OSError:
            self._fd = os.open(path, flags, 0o644)
            self._direct = False
        self._buffer = mmap.mmap(-1, _CHUNK)   # page-aligned
        self._view = memoryview(self._buffer)
        self._used = 0
        self._size = 0

    def write(self, data) -> None:
        data = memoryview(data).cast("B")
        done, total = 0, len(data)
        while done < total:
            take = min(total - done, _CHUNK - self._used)
            self._view[self._used:self._used + take] = data[done:done + take]
            self._used += take
            done += take
            if self._used == _CHUNK:
                self._flush(_CHUNK)
        self._size += total

    def _flush(self, length: int) -> None:
        done = 0
        while done < length:
            try:
                done += os.write(self._fd, self._view[done:length])
            except OSError:
                if not self._direct:
                    raise
                import fcntl  # POSIX only, like O_DIRECT itself

                self._direct = False   # accepted at open but not for writes: write normally
                fcntl.fcntl(self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) & ~os.O_DIRECT)
        self._used = 0

    def close(self) -> None:
        """Write what is buffered (padded to a block, then cut back to the real size) and close."""
        if self._fd < 0:
            return
        try:
            length = self._used
            if self._direct and length % _BLOCK:
                padded = length + _BLOCK - length % _BLOCK
                self._view[length:padded] = bytes(padded - length)
                length = padded
            self._flush(length)
            os.ftruncate(self._fd, self._size)
        finally:
            os.close(self._fd)
            self._fd = -1
            self._view.release()
            self._buffer.close()


class PackWriter:
    """One pack under construction; `add` returns the object id, `close` writes the idx.

    `expected` is the number of objects the caller will add (the pack header comes first and the
    pack checksum covers it); if fewer distinct objects arrive (one added twice is stored once),
    `close` corrects the header and checksums the file again.
    """

    def __init__(self, pack_dir: Path, expected: int, name: str = "demo"):
        self._dir = Path(pack_dir)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._tmp = self._dir / f"tmp_pack_{name}_{os.getpid()}"
        self._file = DirectFile(self._tmp)
        self._sum = hashlib.sha1()
        self._expected = expected
        self._offset = 0
        self._entries: Dict[bytes, Tuple[int, int]] = {}  # id -> (crc32, offset)
        self._write(b"PACK" + struct.pack(">II", 2, expected))

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self._sum.update(data)
        self._offset += len(data)

    def add(self, data: bytes, kind: str = "blob", oid: Optional[bytes] = None) -> str:
        """Store one object (once, however often it is added) and return its id (hex).

        `oid`: the object's id if the caller has it already (saves hashing the data twice).
        """
        oid = oid or object_id(data, kind)
        if oid not in self._entries:
            offset, crc = self._offset, 0
            pieces = [_entry_header(kind, len(data))] + stored_zlib(data)
            for piece in pieces:
                crc = zlib.crc32(piece, crc)
                self._sum.update(piece)
                self._offset += len(piece)
            for piece in pieces:
                self._file.write(piece)
            self._entries[oid] = (crc, offset)
        return oid.hex()

    def close(self) -> Optional[Path]:
        """Finish the pack and its idx under their final names; None if nothing was added."""
        count = len(self._entries)
        if count > self._expected:
            self._file.close()
            self._tmp.unlink()
            raise ValueError(f"pack got {count} objects, more than the {self._expected} announced")
        if count == self._expected:
            trailer = self._sum.digest()
            self._file.write(trailer)
            self._file.close()
        else:
            self._file.close()
            with open(self._tmp, "r+b") as handle:
                handle.seek(8)
                handle.write(struct.pack(">I", count))
            trailer = _checksum(self._tmp).digest()
            with open(self._tmp, "ab") as handle:
                handle.write(trailer)
        if not count:
            self._tmp.unlink()
            return None
        final = self._dir / f"pack-{trailer.hex()}.pack"
        idx_tmp = self._tmp.with_suffix(".idx")
        idx_tmp.write_bytes(index_bytes(self._entries, trailer))
        os.replace(self._tmp, final)
        os.replace(idx_tmp, final.with_suffix(".idx"))
        return final

    def abort(self) -> None:
        """Drop the unfinished pack (generation failed)."""
        self._file.close()
        self._tmp.unlink(missing_ok=True)


def _checksum(path: Path):
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest


def index_bytes(entries: Dict[bytes, Tuple[int, int]], pack_sum: bytes) -> bytes:
    """The version 2 `.idx` of a pack: fanout, sorted ids, CRC32s, offsets, checksums."""
    ids = sorted(entries)
    fanout = [0] * 256
    for oid in ids:
        fanout[oid[0]] += 1
    total = 0
    for i in range(256):
        total += fanout[i]
        fanout[i] = total
    small: List[int] = []
    large: List[int] = []
    for oid in ids:
        offset = entries[oid][1]
        if offset < _SMALL_OFFSET:
            small.append(offset)
        else:
            small.append(_SMALL_OFFSET | len(large))
            large.append(offset)
    n = len(ids)
    body = b"".join([
        b"\xfftOc", struct.pack(">I", 2), struct.pack(">256I", *fanout), b"".join(ids),
        struct.pack(f">{n}I", *(entries[oid][0] for oid in ids)), struct.pack(f">{n}I", *small),
        struct.pack(f">{len(large)}Q", *large), pack_sum,
    ])
    return body + hashlib.sha1(body).digest()
