"""SQLCipher's key derivation without the database stack, so that a command can start it before loading SQLAlchemy.

The derivation (PBKDF2, 0.1 s) runs in hashlib without the GIL: begun on a thread by `prepare_key`, it overlaps the
command's imports, and `raw_key` then finds the key ready instead of deriving it a second time.
"""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import Future
from pathlib import Path

from app.services.helper_core import forget, keep_to_helper_core, release_all

# SQLCipher 4's key derivation (its defaults, which every Kontor ledger uses): done once per unlock in hashlib,
# every connection after that is keyed with the derived raw key and skips the 0.1 s derivation.
KDF_ITERATIONS = 256_000
SALT_BYTES = 16
KEY_BYTES = 32

_prepared: dict[tuple[str, bytes], Future[str]] = {}
_lock = threading.Lock()


def _derive(passphrase: str, salt: bytes) -> str:
    key = hashlib.pbkdf2_hmac("sha512", passphrase.encode(), salt, KDF_ITERATIONS, KEY_BYTES)
    return f"\"x'{key.hex()}{salt.hex()}'\""


def raw_key(passphrase: str, salt: bytes) -> str:
    """The `PRAGMA key` value of SQLCipher's derived key and salt: a connection keyed with it derives nothing.

    A derivation begun by `prepare_key` is waited for and handed over (the key is kept only until then)."""
    with _lock:
        prepared = _prepared.pop((passphrase, salt), None)
    if prepared is None:
        return _derive(passphrase, salt)
    if not prepared.done():
        release_all()  # this thread waits: the derivation and the statement worker may use its core
    return prepared.result()


def read_salt(path: Path) -> bytes | None:
    """The salt SQLCipher keeps in a ledger's first bytes; None for a file too short to have one."""
    with path.open("rb") as stream:
        salt = stream.read(SALT_BYTES)
    return salt if len(salt) == SALT_BYTES else None


def prepare_key(path: Path, passphrase: str) -> None:
    """Begin deriving the key of the ledger at `path` on a thread; opening it later takes the result. Anything
    unusual (no such file, an empty passphrase) is left to the opening, which reports it."""
    try:
        salt = read_salt(path)
    except OSError:
        return
    if salt is None or not passphrase:
        return
    prepared: Future[str] = Future()
    placed = threading.Event()

    def derive() -> None:
        native_id = threading.get_native_id()
        try:
            keep_to_helper_core(native_id)
            placed.set()
            prepared.set_result(_derive(passphrase, salt))
        except BaseException as error:  # handed to the opening, which raises it in its own thread
            prepared.set_exception(error)
        finally:
            placed.set()  # also when placing failed: the caller must not wait for ever
            forget(native_id)

    with _lock:
        _prepared[(passphrase, salt)] = prepared
    threading.Thread(target=derive, name="ledger-key", daemon=True).start()
    placed.wait()  # so that a `raw_key` after this finds the thread placed, and its release is not lost
