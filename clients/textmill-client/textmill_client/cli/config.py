"""Where the command line finds the gateway's URL and the API key: the flags, else
`TEXTMILL_URL` / `TEXTMILL_API_KEY`, else the config file (`TEXTMILL_CONFIG`, by default
~/.config/textmill/config.toml), else the local stack's defaults.

    url = "http://127.0.0.1:8000"
    api_key = "tm_..."
"""

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"


class ConfigError(Exception):
    pass


@dataclass(frozen=True, kw_only=True)
class Connection:
    url: str
    api_key: str | None
    source: str  # where the key came from, for messages: "--api-key", an env var, a file


def config_path() -> Path:
    explicit = os.environ.get("TEXTMILL_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "textmill" / "config.toml"


def read_config(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        loaded = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as failure:
        raise ConfigError(f"cannot read {path}: {failure}") from None
    return {k: v for k, v in loaded.items() if k in ("url", "api_key") and isinstance(v, str)}


def connection(url: str | None, api_key: str | None) -> Connection:
    path = config_path()
    file = read_config(path)
    env_url, env_key = os.environ.get("TEXTMILL_URL"), os.environ.get("TEXTMILL_API_KEY")
    chosen_url = url or env_url or file.get("url") or DEFAULT_URL
    if api_key:
        return Connection(url=chosen_url, api_key=api_key, source="--api-key")
    if env_key:
        return Connection(url=chosen_url, api_key=env_key, source="TEXTMILL_API_KEY")
    if file.get("api_key"):
        return Connection(url=chosen_url, api_key=file["api_key"], source=str(path))
    return Connection(url=chosen_url, api_key=None, source="nowhere")
