"""Where the files the code reads are: inside the installed package (a wheel carries templates/,
examples/ and deployments/ under `onematter/`), else in the checkout's top-level folders."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

PACKAGE = Path(str(files("onematter")))
CHECKOUT = PACKAGE.parent                  # the repository root, when running from a checkout


@lru_cache(maxsize=None)
def resource(name: str) -> Path:
    """`templates`, `examples`, `deployments` (top-level folders of the checkout, packaged inside
    `onematter/` in a wheel) or a folder of the package itself (`migrations`, `policy`)."""
    packaged = PACKAGE / name
    if packaged.is_dir():
        return packaged
    return CHECKOUT / name


def in_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "flows").is_dir()


def templates_dir() -> Path:
    return resource("templates")


def example(name: str) -> Path:
    return resource("examples") / name


def deployments_file() -> Path:
    return resource("deployments") / "prefect.yaml"


def migrations_dir() -> Path:
    return resource("migrations")
