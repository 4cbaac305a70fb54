"""The gateway's settings: read once from the environment at start-up, then passed in.

Every knob is an environment variable with the prefix ``GATEWAY_``, except ``DATABASE_URL``,
which keeps the name every PostgreSQL tool already knows.
"""

import ipaddress
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url")
    )
    # Behind a pooler in transaction mode (PgBouncer): DATABASE_URL is the pooler's; this is
    # PostgreSQL's own, for what needs a session of its own (LISTEN, migrations).
    direct_database_url: str | None = None
    db_transaction_pooler: bool = Field(
        default=False,
        description="DATABASE_URL is a pooler in transaction mode: no prepared-statement cache"
        ", no settings sent at connect",
    )
    data_dir: Path = Path("var")

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = Field(default=1, ge=1)

    session_ttl: float = Field(default=3600, gt=0, description="seconds after last use")
    max_sessions_per_user: int = Field(
        default=100, ge=1, description="live sessions per API user; a login beyond ends the LRU"
    )
    session_cache: bool = Field(
        default=True, description="keep checked sessions in memory, exact by LISTEN/NOTIFY"
    )
    idempotency_ttl: float = Field(
        default=86400, gt=0, description="seconds an Idempotency-Key's answer is kept"
    )
    idempotency_max_keys: int = Field(
        default=1_000_000, gt=0, description="live Idempotency-Keys per API user"
    )
    idempotency_max_bytes: int = Field(
        default=1024 * 1024 * 1024, gt=0, description="bytes of kept answers per API user"
    )
    idempotency_max_answer: int = Field(
        default=1024 * 1024, gt=0, description="bytes of one keyed request's answer"
    )
    max_body: int = Field(default=1024 * 1024, gt=0, description="bytes")
    max_batch: int = Field(default=100, gt=0)
    max_listed_rows: int = Field(
        default=10_000, gt=0, description="rows of a list inside a batch or a multiCall"
    )
    max_answer: int = Field(
        default=64 * 1024 * 1024, gt=0, description="bytes of results held for one answer"
    )
    body_timeout: float = Field(default=10, gt=0, description="seconds to receive a body")
    keepalive_timeout: float = Field(
        default=15, gt=0, description="seconds an idle or half-sent connection is kept"
    )
    write_timeout: float = Field(
        default=30, gt=0, description="seconds a client may take to take a streamed chunk"
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    login_max_failures: int = Field(
        default=5, ge=1, description="keys checked per window for one username from one address"
    )
    login_max_address_failures: int = Field(
        default=20, ge=1, description="keys checked per window from one address"
    )
    login_failure_window: float = Field(default=900, gt=0, description="seconds")
    login_lockout: float = Field(default=300, gt=0, description="seconds refused")
    login_slowdown: float = Field(default=0.2, ge=0, description="seconds per failure")

    busy_wait: float = Field(
        default=5,
        gt=0,
        description="seconds a call waits for its turn (a login check, a heavy statement, a "
        "stream) before it is answered busy",
    )

    hash_concurrency: int = Field(default=2, ge=1, description="Argon2 hashes at once")

    pool_min_size: int = Field(default=2, ge=0)
    pool_max_size: int = Field(default=10, ge=1)
    pool_max_idle: float = Field(default=0, ge=0, description="seconds; 0 keeps them open")
    db_command_timeout: float = Field(default=30, gt=0, description="seconds")
    heavy_timeout: float = Field(
        default=2,
        gt=0,
        description="seconds a heavy statement may run: a regexp filter, a list or count that "
        "may scan",
    )
    db_connect_timeout: float = Field(default=5, gt=0, description="seconds")

    public_url: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="the gateway's own origins (scheme://host[:port]), comma-separated",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="addresses or networks of proxies whose Forwarded/X-Forwarded-* are read",
    )
    soap_wsi: bool = Field(default=False, description="/api/v2_soap/ speaks WS-I (literal)")

    migrate_on_start: bool = True
    log_level: str = "INFO"

    @property
    def heavy_slots(self) -> int:
        """Heavy statements (a regexp filter, a list or count that may scan) running at once
        per process: a quarter of the pool, so that they can never hold every connection."""
        return max(1, self.pool_max_size // 4)

    @property
    def stream_slots(self) -> int:
        """Lists streamed at once per process, each holding a connection: half of the pool."""
        return max(1, self.pool_max_size // 2)

    @property
    def call_deadline(self) -> float:
        """How long one call may wait on the database before it is answered as unavailable: a
        connect attempt and a statement, with a second to spare."""
        return self.db_connect_timeout + self.db_command_timeout + 1

    @field_validator("cors_origins", "public_url", "trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        # One comma-separated variable; NoDecode keeps pydantic from expecting JSON there.
        if isinstance(value, str):
            return [entry.strip() for entry in value.split(",") if entry.strip()]
        return value

    @field_validator("public_url")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        """As browsers send ``Origin``: lower case, no path, no trailing slash."""
        origins = []
        for url in value:
            scheme, separator, rest = url.partition("://")
            if not separator or scheme.lower() not in ("http", "https") or not rest.strip("/"):
                raise ValueError(f"{url!r} is not an http(s) origin such as https://api.example")
            origins.append(f"{scheme.lower()}://{rest.split('/')[0].lower()}")
        return origins

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            ipaddress.ip_network(entry, strict=False)  # refused now, not at the first request
        return value

    @property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """``trusted_proxies`` as networks (an address is a network of one)."""
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in self.trusted_proxies)
