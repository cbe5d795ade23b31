"""`exitbot rotate-key`: every encrypted value (and any written in clear before encryption
was turned on) re-encrypted with the first key of EXITBOT_ENCRYPTION_KEY, in batches, with
a progress bar. Interrupted, it loses nothing: run it again and it goes on."""

from __future__ import annotations

import sys

from tqdm import tqdm

from adapters.storage.crypto import Cipher, KeyMismatch
from adapters.storage.database import make_engine
from adapters.storage.encryption import check_readable, pending, rotate
from bot.migrate import upgrade_with
from bot.settings import Settings, SettingsError


def run_rotate(settings: Settings, batch: int) -> int:
    if not settings.encryption_keys:
        raise SettingsError(
            "EXITBOT_ENCRYPTION_KEY: set it to the new key, then the old ones, comma-separated "
            "(`exitbot keygen` makes a key)"
        )
    if batch < 1:
        raise SettingsError("--batch: must be at least 1")
    upgrade_with(settings)
    cipher = Cipher(settings.encryption_keys)
    engine = make_engine(settings.database_url, cipher)
    try:
        check_readable(engine, cipher)
        todo = pending(engine, cipher)
        with tqdm(total=todo, unit="value", file=sys.stderr, disable=todo == 0) as bar:
            rewritten = rotate(engine, cipher, batch, bar.update)
    except KeyMismatch as exc:
        raise SettingsError(f"EXITBOT_ENCRYPTION_KEY: {exc}") from None
    finally:
        engine.dispose()
    print(f"exitbot: {rewritten} values now encrypted with key {cipher.current}", file=sys.stderr)
    return 0
