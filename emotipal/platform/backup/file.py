"""The backup file format.

    MAGIC (16 bytes) | header length (4 bytes, big-endian) | header (JSON, UTF-8) | encrypted chunks

The header is plain, so a file can be told apart and its key found without the key: format version, database
vendor, when it was made, the id of the backup key (a hash of it, never the key) and the cipher's parameters.
Everything after it is AES-256-GCM over chunks of `chunk_size` bytes, the STREAM construction (Hoang et al.,
2015): chunk i is sealed under the nonce prefix | i | last-chunk flag, with the whole header as associated data.
A changed header, a changed, swapped, dropped or added chunk, or a file cut short therefore all fail to
authenticate. Each file's key comes from the backup key and a random salt (HKDF-SHA256): no two files share a
key, so the chunk counters never repeat a nonce under one key. A stream, not one Fernet token: a dump of a big
database never has to be held in memory whole.

The plaintext is: manifest length (8 bytes, big-endian) | manifest (JSON) | the dump.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from emotipal.platform.backup.errors import BackupError

MAGIC = b"EMOTIPAL-BACKUP\n"
FORMAT = 1
CIPHER = "AES-256-GCM STREAM, HKDF-SHA256 file key"
CHUNK_SIZE = 1 << 20
# A header is read before anything is authenticated: bounds keep a damaged one from asking for gigabytes.
MAX_HEADER = 64 * 1024
CHUNK_LIMITS = (1024, 64 << 20)
TAG = 16
NONCE_PREFIX = 7  # + 4 bytes of chunk counter + 1 byte last-chunk flag = the 12-byte GCM nonce
MAX_CHUNKS = 2**32
MANIFEST_LENGTH = 8
MAX_MANIFEST = 64 << 20


def key_bytes(key: str) -> bytes:
    return base64.urlsafe_b64decode(key.encode())


def key_id(key: str) -> str:
    """Names a backup key in headers and messages. A hash of 32 random bytes reveals nothing of them."""
    return hashlib.sha256(b"emotipal.backup-key-id:" + key_bytes(key)).hexdigest()[:16]


def _file_key(key: str, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"emotipal.backup-file-key.v1")
    return AESGCM(derived.derive(key_bytes(key)))


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    if counter >= MAX_CHUNKS:
        raise BackupError("The backup is too large for one file (over 2^32 chunks).")
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


@dataclass(frozen=True)
class Header:
    vendor: str
    created_at: str
    key_id: str
    salt: bytes
    nonce_prefix: bytes
    chunk_size: int
    format: int = FORMAT
    # The header's bytes as they are in the file (every chunk authenticates them); set when read.
    raw: bytes = b""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "vendor": self.vendor,
            "created_at": self.created_at,
            "key_id": self.key_id,
            "cipher": CIPHER,
            "chunk_size": self.chunk_size,
            "salt": base64.b64encode(self.salt).decode(),
            "nonce_prefix": base64.b64encode(self.nonce_prefix).decode(),
        }

    def encoded(self) -> bytes:
        """The bytes before the first chunk, which every chunk authenticates."""
        body = json.dumps(self.to_json(), sort_keys=True).encode()
        return MAGIC + len(body).to_bytes(4, "big") + body


class Encryptor:
    """Writes a backup file: the header at once, then whatever is written, in sealed chunks."""

    def __init__(self, out: BinaryIO, key: str, vendor: str, chunk_size: int = CHUNK_SIZE) -> None:
        self.header = Header(
            vendor=vendor,
            created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            key_id=key_id(key),
            salt=os.urandom(16),
            nonce_prefix=os.urandom(NONCE_PREFIX),
            chunk_size=chunk_size,
        )
        self._out = out
        self._aad = self.header.encoded()
        self._aead = _file_key(key, self.header.salt)
        self._buffer = bytearray()
        self._counter = 0
        out.write(self._aad)

    def write(self, data: bytes) -> None:
        self._buffer += data
        size = self.header.chunk_size
        # A full chunk is sealed only once more data follows: the last chunk must carry the last-chunk flag.
        while len(self._buffer) > size:
            self._seal(bytes(self._buffer[:size]), last=False)
            del self._buffer[:size]

    def finish(self) -> None:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()

    def _seal(self, chunk: bytes, last: bool) -> None:
        nonce = _nonce(self.header.nonce_prefix, self._counter, last)
        self._out.write(self._aead.encrypt(nonce, chunk, self._aad))
        self._counter += 1


def manifest_block(manifest: dict[str, Any]) -> bytes:
    body = json.dumps(manifest, sort_keys=True).encode()
    return len(body).to_bytes(MANIFEST_LENGTH, "big") + body


def read_header(source: BinaryIO) -> Header:
    not_ours = "This file is not an EmotiPal backup (it does not start like one)."
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError(not_ours)
    length = int.from_bytes(source.read(4), "big")
    if not 0 < length <= MAX_HEADER:
        raise BackupError(not_ours)
    try:
        body = source.read(length)
        fields = json.loads(body)
        if fields["format"] != FORMAT:
            raise BackupError(
                ("This backup has format {found}; this EmotiPal reads format {known}.").format(
                    found=fields["format"], known=FORMAT
                )
            )
        header = Header(
            vendor=str(fields["vendor"]),
            created_at=str(fields["created_at"]),
            key_id=str(fields["key_id"]),
            salt=base64.b64decode(fields["salt"]),
            nonce_prefix=base64.b64decode(fields["nonce_prefix"]),
            chunk_size=int(fields["chunk_size"]),
            raw=MAGIC + length.to_bytes(4, "big") + body,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError("The backup's header is damaged: the file cannot be read.") from exc
    low, high = CHUNK_LIMITS
    if len(header.nonce_prefix) != NONCE_PREFIX or not low <= header.chunk_size <= high:
        raise BackupError("The backup's header is damaged: the file cannot be read.")
    return header


def choose_key(header: Header, keys: list[str]) -> tuple[str, int]:
    """The configured key the file was made with, and its place in EMOTIPAL_BACKUP_KEY (1 = first)."""
    for place, key in enumerate(keys, start=1):
        if key_id(key) == header.key_id:
            return key, place
    raise BackupError(
        (
            "This backup was made with backup key {wanted}, which is not in EMOTIPAL_BACKUP_KEY (it holds "
            "{held}). Add the key the backup was made with (after the current one); nothing was changed."
        ).format(wanted=header.key_id, held=", ".join(key_id(k) for k in keys))
    )


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    missing = size
    while missing:
        part = source.read(missing)
        if not part:
            break
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def decrypt(source: BinaryIO, header: Header, key: str) -> Iterator[bytes]:
    """The plaintext, chunk by chunk, each authenticated before it is given out. `source` stands just after
    the header. A chunk that fails raises BackupError: whoever consumes the chunks must undo what it did with
    the earlier ones (the restore checks the whole file in a first pass for that reason)."""
    aad = header.raw or header.encoded()
    aead = _file_key(key, header.salt)
    sealed_size = header.chunk_size + TAG
    counter = 0
    chunk = _read_exactly(source, sealed_size)
    while True:
        following = _read_exactly(source, sealed_size) if len(chunk) == sealed_size else b""
        last = not following
        try:
            yield aead.decrypt(_nonce(header.nonce_prefix, counter, last), chunk, aad)
        except InvalidTag as exc:
            raise BackupError(
                f"The backup file is damaged or was altered (part {counter + 1} does not authenticate), or it "
                "was cut short. Nothing was changed."
            ) from exc
        if last:
            return
        chunk, counter = following, counter + 1


class Plaintext:
    """Reads the decrypted stream: the manifest first, then the dump in blocks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def read(self, size: int) -> bytes:
        while len(self._pending) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        taken, self._pending = self._pending[:size], self._pending[size:]
        return taken

    def manifest(self) -> dict[str, Any]:
        length = int.from_bytes(self.read(MANIFEST_LENGTH), "big")
        body = self.read(length) if 0 < length <= MAX_MANIFEST else b""
        try:
            manifest = json.loads(body)
        except ValueError:
            manifest = None
        if not isinstance(manifest, dict):
            raise BackupError("The backup's manifest cannot be read (the file was made wrongly).")
        return manifest

    def blocks(self) -> Iterator[bytes]:
        if self._pending:
            yield self._pending
            self._pending = b""
        yield from self._chunks
