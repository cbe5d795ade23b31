"""Running Alembic from ExitBot: `exitbot migrate`, `exitbot serve` and the demo call this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations
from adapters.storage.crypto import Cipher
from bot.settings import Settings


def alembic_config(database_url: str, cipher: Cipher | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["database_url"] = database_url
    # A migration that derives values from encrypted ones reads them with it.
    config.attributes["cipher"] = cipher
    return config


def upgrade(database_url: str, revision: str = "head", cipher: Cipher | None = None) -> None:
    command.upgrade(alembic_config(database_url, cipher), revision)


def upgrade_with(settings: Settings) -> None:
    """Up to the latest revision, with the settings' database and key."""
    keys = settings.encryption_keys
    upgrade(settings.database_url, cipher=Cipher(keys) if keys else None)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
