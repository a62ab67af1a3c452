"""Settings: one pydantic-settings class, read through a cached getter (env prefix ONEMATTER_)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from onematter.config.resources import default_data_dir, templates_dir

TZ = ZoneInfo("Asia/Shanghai")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONEMATTER_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)   # .data/ in a checkout, else ~/.local/share/onematter
    database_url: str | None = None
    data_key_file: Path | None = None          # the data key (encryption at rest); default <data_dir>/data.key
    today: dt.date | None = None
    templates_dir: Path = Field(default_factory=templates_dir)
    policy_file: Path | None = None
    issuing_body: str = "平湖市退役军人事务局"
    service_centre: str = "平湖市退役军人服务中心"
    document_base_url: str = "http://127.0.0.1:4300/documents"
    public_base_url: str = "http://127.0.0.1:4300"   # where /verify is served: the QR codes point there
    decision_wait_seconds: int = 8 * 3600     # accepted, unused: a decision form waits without a timeout (flows/forms.py)
    stuck_after_minutes: int = 10             # an application still received/processing after this is resumed
    worker_lease_seconds: float = 30          # a worker silent this long has lost its application to another
    web_secret: str | None = None             # signs the staff page's session cookies (default: generated in data_dir)
    web_idle_minutes: int = 30                # a staff session expires after this long without a request
    prefect_ui_url: str | None = None         # links from a case to its runs (default: PREFECT_API_URL without /api)
    notify_veteran_urls: str = ""             # Apprise URLs (space/comma separated): the SMS gateway (json://…)
    sms_inbound_token: str | None = None      # the SMS gateway's replies (TD) are accepted with this token
    notify_staff_urls: str = ""               # Apprise URLs: DingTalk/WeCom bots, mailto://…
    fonts_dir: Path | None = None            # the cut faces (default ~/.cache/onematter/fonts)
    seal_dir: Path | None = None             # 电子印章: seal.p12, trust.pem, seal.png (default <data_dir>/seal)
    seal_passphrase: str | None = None       # the seal.p12's passphrase (or the file below; never on a command line)
    seal_passphrase_file: Path | None = None # default <seal_dir>/passphrase (the demo seal's only)
    seal_crl_file: Path | None = None        # the CA's CRLs (PEM or DER): signatures become PAdES B-LT
    tsa_url: str | None = None               # an RFC 3161 timestamp authority: signatures PAdES B-T

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'onematter.db'}"

    @property
    def public_url_is_local(self) -> bool:
        """The public pages' address is this machine's (the default): a QR code pointing there opens
        nowhere else. Documents say so (示例地址); a bureau's own seal refuses to sign under it."""
        from urllib.parse import urlparse
        host = (urlparse(self.public_base_url).hostname or "").lower()
        return host in ("", "localhost", "127.0.0.1", "::1", "0.0.0.0") or host.startswith("127.")

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def today() -> dt.date:
    """The date that stands in for today in every decision (ONEMATTER_TODAY for rehearsals)."""
    fixed = get_settings().today
    return fixed if fixed else dt.datetime.now(TZ).date()


def now() -> dt.datetime:
    """Current time, tz-aware; on ONEMATTER_TODAY its date is replaced by that day."""
    current = dt.datetime.now(TZ)
    fixed = get_settings().today
    if fixed:
        current = current.replace(year=fixed.year, month=fixed.month, day=fixed.day)
    return current


def local(value: dt.datetime) -> dt.datetime:
    """A stored timestamp in Asia/Shanghai (SQLite hands back naive local times, PostgreSQL UTC)."""
    return value.replace(tzinfo=TZ) if value.tzinfo is None else value.astimezone(TZ)
