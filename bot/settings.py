"""All configuration, from the environment or `.env`, validated at start. The names are part
of ExitBot's external interface (docs/design.md): keep them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from adapters.storage.crypto import Cipher

# EXITBOT_WORKING_HOURS: from-to, in the employee's own time.
HOURS = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d")
# Where the Teams app package points until the company says where its own pages are.
EXAMPLE_SITE = "https://exitbot.example.com"
# Connections kept beyond the handlers' and senders' (the outbox sweep, the opener, the two
# summary threads, the scheduler, and requests being stored), and allowed for a burst.
BACKGROUND_CONNECTIONS = 8
POOL_OVERFLOW = 10


class SettingsError(ValueError):
    """One line naming the setting that is wrong and why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, frozen=True
    )

    database_url: str = Field("sqlite:///./exitbot.db", validation_alias="DATABASE_URL")

    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    hr_channel: str | None = Field(None, validation_alias="EXITBOT_HR_CHANNEL")
    hr_users: Annotated[list[str], NoDecode] = Field([], validation_alias="EXITBOT_HR_USERS")

    microsoft_app_id: str | None = Field(None, validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr | None = Field(
        None, validation_alias="MICROSOFT_APP_PASSWORD"
    )
    microsoft_app_tenant_id: str | None = Field(None, validation_alias="MICROSOFT_APP_TENANT_ID")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        "MultiTenant", validation_alias="MICROSOFT_APP_TYPE"
    )
    teams_hr_channel: str | None = Field(None, validation_alias="EXITBOT_TEAMS_HR_CHANNEL")
    teams_dev: bool = Field(False, validation_alias="EXITBOT_TEAMS_DEV")
    # The Teams app's id in the organisation's app catalog: installing it for a leaver.
    teams_app_id: str | None = Field(None, validation_alias="EXITBOT_TEAMS_APP_ID")
    graph_url: str = Field("https://graph.microsoft.com/v1.0", validation_alias="EXITBOT_GRAPH_URL")
    default_timezone: str = Field("UTC", validation_alias="EXITBOT_DEFAULT_TIMEZONE")
    # The pages the Teams app package links to (Teams requires all three).
    teams_website_url: str = Field(EXAMPLE_SITE, validation_alias="EXITBOT_TEAMS_WEBSITE_URL")
    teams_privacy_url: str = Field(
        f"{EXAMPLE_SITE}/privacy", validation_alias="EXITBOT_TEAMS_PRIVACY_URL"
    )
    teams_terms_url: str = Field(
        f"{EXAMPLE_SITE}/terms", validation_alias="EXITBOT_TEAMS_TERMS_URL"
    )

    openai_api_key: SecretStr | None = Field(None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, validation_alias="OPENAI_BASE_URL")
    llm_model: str = Field("gpt-4o-mini", validation_alias="EXITBOT_LLM_MODEL")
    llm_timeout: float = Field(4.0, gt=0, le=120, validation_alias="EXITBOT_LLM_TIMEOUT")
    llm_concurrency: int = Field(4, ge=1, le=64, validation_alias="EXITBOT_LLM_CONCURRENCY")
    redact_pii: bool = Field(False, validation_alias="EXITBOT_REDACT_PII")

    host: str = Field("127.0.0.1", validation_alias="EXITBOT_HOST")
    port: int = Field(3000, ge=1, le=65535, validation_alias="EXITBOT_PORT")
    send_time: str = Field("10:00", validation_alias="EXITBOT_SEND_TIME")
    lead_days: int = Field(0, ge=0, le=30, validation_alias="EXITBOT_LEAD_DAYS")
    sweep_seconds: float = Field(60, gt=0, le=86400, validation_alias="EXITBOT_SWEEP_SECONDS")
    senders: int = Field(4, ge=1, le=32, validation_alias="EXITBOT_SENDERS")
    handlers: int = Field(8, ge=1, le=64, validation_alias="EXITBOT_HANDLERS")
    processes: int = Field(1, ge=1, le=64, validation_alias="EXITBOT_PROCESSES")
    # Database connections each process keeps open (None: one for every thread that may use
    # one at once, see `pool_size`).
    db_pool: int | None = Field(None, ge=1, le=500, validation_alias="EXITBOT_DB_POOL")
    # The HR API: requests a minute per key, and the largest request body.
    api_rate: int = Field(600, ge=1, le=100_000, validation_alias="EXITBOT_API_RATE")
    api_max_body: int = Field(
        1_048_576, ge=1024, le=104_857_600, validation_alias="EXITBOT_API_MAX_BODY"
    )
    redis_url: str | None = Field(None, validation_alias="EXITBOT_REDIS_URL")
    slack_rate: float = Field(20.0, gt=0, le=1000, validation_alias="EXITBOT_SLACK_RATE")
    questions: Path | None = Field(None, validation_alias="EXITBOT_QUESTIONS")
    retention_days: int | None = Field(None, ge=1, validation_alias="EXITBOT_RETENTION_DAYS")
    encryption_key: SecretStr | None = Field(None, validation_alias="EXITBOT_ENCRYPTION_KEY")
    max_followups: int = Field(2, ge=0, le=10, validation_alias="EXITBOT_MAX_FOLLOWUPS")
    reminder_hours: float = Field(48, gt=0, le=24 * 30, validation_alias="EXITBOT_REMINDER_HOURS")
    abandon_hours: float = Field(72, gt=0, le=24 * 60, validation_alias="EXITBOT_ABANDON_HOURS")
    digest_cron: str = Field("0 9 * * mon", validation_alias="EXITBOT_DIGEST_CRON")
    digest_days: int = Field(7, ge=1, le=366, validation_alias="EXITBOT_DIGEST_DAYS")
    min_group: int = Field(3, ge=1, le=100, validation_alias="EXITBOT_MIN_GROUP")
    # When reminders may go out, Monday to Friday in the employee's own time; "always".
    working_hours: str = Field("09:00-18:00", validation_alias="EXITBOT_WORKING_HOURS")
    # Public holidays (ISO 3166 country code, e.g. DE, US, GB): no invitation or reminder.
    holiday_country: str | None = Field(None, validation_alias="EXITBOT_HOLIDAY_COUNTRY")
    # The language an interview is held in when nobody said which (HR, the employee, their
    # Slack or Teams settings): one with a catalog (en, de, es, fr, pt).
    default_language: str = Field("en", validation_alias="EXITBOT_DEFAULT_LANGUAGE")
    # The language HR read in: a model, when configured, translates answers given in
    # another language into it, shown beside the employee's own words.
    hr_language: str = Field("en", validation_alias="EXITBOT_HR_LANGUAGE")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="EXITBOT_LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field("text", validation_alias="EXITBOT_LOG_FORMAT")
    # uvicorn's line per HTTP request: off unless asked for. Slack and Teams send one request
    # per message or click, so it was most of a busy log (and ~5% of the CPU of an answer);
    # /metrics counts requests and their outcomes.
    access_log: bool = Field(False, validation_alias="EXITBOT_ACCESS_LOG")
    # Names this process in every log line; default the host's name and the process id.
    replica: str | None = Field(None, validation_alias="EXITBOT_REPLICA")

    @field_validator("hr_users", mode="before")
    @classmethod
    def _split_users(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("working_hours")
    @classmethod
    def _working_hours(cls, value: str) -> str:
        value = value.strip().lower()
        if value != "always" and not HOURS.fullmatch(value):
            raise ValueError("must be HH:MM-HH:MM (e.g. 09:00-18:00) or always")
        return value

    @field_validator("default_language")
    @classmethod
    def _language(cls, value: str) -> str:
        from adapters.catalogs import shipped, spoken

        code = spoken(value)
        if code is None:
            raise ValueError(f"must be one of {', '.join(shipped())}, the languages ExitBot speaks")
        return code

    @field_validator("hr_language")
    @classmethod
    def _hr_language(cls, value: str) -> str:
        from adapters.catalogs import name_of
        from core.speech import base_language

        code = base_language(value)
        if code is None or name_of(code) is None:
            raise ValueError("must be a language code such as en, de or es")
        return code

    @field_validator("holiday_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from adapters.holidays import supported

        code = value.strip().upper()
        if not supported(code):
            raise ValueError("is not a country the holidays package knows, e.g. DE, US or GB")
        return code

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a time zone, e.g. Europe/Berlin or America/New_York") from None
        return value

    @field_validator("graph_url")
    @classmethod
    def _graph(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("is not a URL, e.g. https://graph.microsoft.com/v1.0")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("is not a database URL, e.g. sqlite:///./exitbot.db") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @field_validator("encryption_key")
    @classmethod
    def _keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                Cipher(split_keys(value.get_secret_value()))
            except ValueError:
                raise ValueError(
                    "must be one key made by `exitbot keygen`, or several separated by commas "
                    "(the newest first)"
                ) from None
        return value

    @property
    def platforms(self) -> list[str]:
        """The chat platforms that are set up: Slack with a bot token, Teams with an app id
        (or in dev mode)."""
        configured = [
            ("slack", self.slack_bot_token is not None),
            ("teams", bool(self.microsoft_app_id or self.teams_dev)),
        ]
        return [name for name, on in configured if on]

    @property
    def pool_size(self) -> int:
        """Database connections a process keeps: one for each request handler and sender, and
        BACKGROUND_CONNECTIONS for the rest (the sweeps, the summaries, requests being
        stored), so that steady work never closes a connection only to open a new one (on
        PostgreSQL each is a server process). Bursts beyond it get POOL_OVERFLOW more."""
        return self.db_pool or self.handlers + self.senders + BACKGROUND_CONNECTIONS

    @property
    def encryption_keys(self) -> list[str]:
        """The keys, newest (the one that encrypts) first; empty without encryption."""
        return split_keys(self.encryption_key.get_secret_value()) if self.encryption_key else []

    @field_validator("send_time")
    @classmethod
    def _send_time(cls, value: str) -> str:
        match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if not match:
            raise ValueError("must be a time of day as HH:MM, e.g. 10:00")
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    @field_validator("digest_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as exc:
            raise ValueError(
                f"is not a crontab line (minute hour day month weekday): {exc}"
            ) from None
        return value

    @field_validator("questions")
    @classmethod
    def _questions_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{value} is not a file")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not re.match(r"https?://", value):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"


def split_keys(value: str) -> list[str]:
    return [key.strip() for key in value.split(",") if key.strip()]


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a bad value is one line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else "settings"
        name = _env_name(field)
        message = error["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{name}: {message}") from None


def _env_name(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    return alias if isinstance(alias, str) else field.upper()
