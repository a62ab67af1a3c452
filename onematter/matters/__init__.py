"""The registry of matters: every package here whose `__init__` declares `SPEC` is a matter.
Adding a matter is adding a package (plus its templates in templates/matters/<key>/, its policy
block and a migration): the core loops over `all_specs()` and names no matter. Importing the
registry imports every matter package, and with it registers every matter's tables."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from onematter.matters.spec import MatterSpec
from onematter.policy import Policy, PolicyError

__all__ = ["MatterSpec", "all_specs", "spec", "keys", "deciding", "UnknownMatter", "check_policy", "templates_dir"]
_FOLDERS: dict[str, Path] = {}       # matter key → its package's folder (filled by the registry)


class UnknownMatter(KeyError):
    pass


@lru_cache(maxsize=1)
def _registry() -> dict[str, MatterSpec]:
    found: list[MatterSpec] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name == "spec":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if isinstance(getattr(module, "SPEC", None), MatterSpec):
            found.append(module.SPEC)
            _FOLDERS[module.SPEC.key] = Path(module.__file__).parent
    found.sort(key=lambda s: (s.order, s.key))
    _check(found)
    return {s.key: s for s in found}


def _check(specs: list[MatterSpec]) -> None:
    """Document keys and numbers are unique across matters (they name files and numbers)."""
    numbers: dict[int, str] = {1: "form", 2: "receipt", 20: "completion", 22: "materials_notice", 29: "packet-intake", 30: "packet"}
    for s in specs:
        kinds = [(d.number, d.key) for d in s.documents]
        if s.refusal_number is not None:
            kinds.append((s.refusal_number, f"refusal-{s.key}"))
        if s.decision is not None and s.decision.rejection_number is not None:
            kinds.append((s.decision.rejection_number, f"rejection-{s.key}"))
        for number, key in kinds:
            if number in numbers:
                raise RuntimeError(f"文书序号 {number} 重复：{numbers[number]} 与 {key}")
            numbers[number] = key


def all_specs() -> list[MatterSpec]:
    return list(_registry().values())


def keys() -> list[str]:
    return list(_registry())


def spec(key: str) -> MatterSpec:
    try:
        return _registry()[key]
    except KeyError:
        raise UnknownMatter(key) from None


def templates_dir(key: str) -> Path:
    """The matter's own templates folder (its fields on the staff page's form)."""
    spec(key)
    return _FOLDERS[key] / "templates"


def deciding() -> list[MatterSpec]:
    """Matters that wait for a supervisor's decision."""
    return [s for s in all_specs() if s.decision is not None]


def check_policy(policy: Policy) -> Policy:
    """Every registered matter finds what it needs in the policy (its deadline, its block, valid):
    a clear error naming the file and the block, else the policy."""
    for s in all_specs():
        if s.key not in policy.deadlines_working_days:
            raise PolicyError(f"{policy._source}: deadlines_working_days 缺少事项 {s.key}")
        if s.policy_block:
            try:
                s.policy(policy)
            except ValidationError as exc:
                raise PolicyError(f"{policy._source}: 政策数据 {s.policy_block} 有误：{exc}") from None
    keys = {s.key for s in all_specs()}
    seen: set[str] = set()
    for m in policy.materials:
        if m.key in seen:
            raise PolicyError(f"{policy._source}: materials 中材料 {m.key} 重复")
        seen.add(m.key)
        if unknown := set(m.needed_by) - keys - {"all"}:
            raise PolicyError(f"{policy._source}: 材料 {m.key} 的 needed_by 有不认识的事项：{'、'.join(sorted(unknown))}"
                              f"（可用 all 或：{'、'.join(sorted(keys))}）")
    return policy
