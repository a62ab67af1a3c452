"""The faces documents are set in, cut down once to the characters a bureau prints.

WeasyPrint subsets an embedded font with HarfBuzz but keeps its glyph ids, so a 65,000-glyph CJK
face costs 80–200 KB in every PDF however few characters a page uses. `prepare_fonts()` (run by
`make venv` through `onematter fonts`, once per machine) cuts each face of Debian's
fonts-noto-cjk to GB 2312 (6,763 hanzi), ASCII and CJK/full-width punctuation with fontTools;
documents name the cut face first and the full face after it, so a rare character in a name is
still printed, from the full face. Without the cut faces documents are the same, only larger."""

from __future__ import annotations

import io
import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from onematter.config.settings import get_settings
from onematter.documents.files import write_atomically

CUT_VERSION = "1"          # bump when the character set or the cutting changes


@dataclass(frozen=True)
class Face:
    family: str            # the name documents use (print.css)
    weight: int
    source: str            # fontconfig pattern of the installed face it is cut from

    @property
    def file_name(self) -> str:
        return f"{self.family.replace(' ', '')}-{self.weight}-v{CUT_VERSION}.otf"


FACES = (
    Face("OM Sans", 400, "Noto Sans CJK SC:style=Regular"),
    Face("OM Sans", 700, "Noto Sans CJK SC:style=Bold"),
    Face("OM Serif", 400, "Noto Serif CJK SC:style=Regular"),
    Face("OM Serif", 700, "Noto Serif CJK SC:style=Bold"),
)


def fonts_dir() -> Path:
    configured = get_settings().fonts_dir
    if configured:
        return configured
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "onematter" / "fonts"


def charset() -> set[int]:
    """GB 2312 (every character it encodes), printable ASCII, general, CJK and full-width punctuation."""
    cps = set(range(0x20, 0x7F)) | set(range(0x2010, 0x2070)) | set(range(0x3000, 0x3040)) \
        | set(range(0xFF00, 0xFFF0)) | {0xA0, 0xB7, 0xD7, 0xF7, 0x2116, 0x2160, 0x2161, 0x2162, 0x2163, 0x221A}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                cps.add(ord(bytes((hi, lo)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return cps


def _source(face: Face) -> tuple[str, int]:
    out = subprocess.run(["fc-match", "-f", "%{file}|%{index}", face.source], capture_output=True, text=True).stdout
    path, _, index = out.partition("|")
    return path, int(index or 0)


def cut(face: Face, target: Path) -> Path:
    """Cut one face to `charset()` and write it to target/<file_name> (atomically)."""
    from fontTools import subset  # lazy: fontTools only when faces are cut (onematter fonts)
    from fontTools.ttLib import TTCollection, TTFont  # lazy: fontTools only when faces are cut (onematter fonts)

    path, index = _source(face)
    if "NotoSansCJK" not in path.replace(" ", "") and "NotoSerifCJK" not in path.replace(" ", ""):
        raise RuntimeError(f"未找到字体 {face.source}：请安装 fonts-noto-cjk")
    font = TTCollection(path).fonts[index] if path.endswith(".ttc") else TTFont(path)
    options = subset.Options()
    options.layout_features = ["kern"]          # horizontal Chinese: no vertical or localised forms
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=charset())
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    out = target / face.file_name
    write_atomically(out, buffer.getvalue())
    out.chmod(0o644)
    return out


def prepare_fonts(target: Path | None = None) -> list[Path]:
    """Cut every face that is not there yet (in parallel, one process per face)."""
    from concurrent.futures import ProcessPoolExecutor  # lazy: only when faces are cut
    target = target or fonts_dir()
    target.mkdir(parents=True, exist_ok=True)
    todo = [f for f in FACES if not (target / f.file_name).is_file()]
    if todo:
        with ProcessPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 1)) as pool:
            list(pool.map(cut, todo, [target] * len(todo)))
    available.cache_clear()
    return [target / f.file_name for f in FACES]


@lru_cache(maxsize=1)
def available() -> tuple[tuple[Face, Path], ...]:
    root = fonts_dir()
    return tuple((f, root / f.file_name) for f in FACES if (root / f.file_name).is_file())


def font_face_css() -> str:
    """@font-face rules for the cut faces that are present (none: documents use the full faces)."""
    return "\n".join(f'@font-face {{ font-family: "{f.family}"; font-weight: {f.weight}; '
                     f'src: url("{p.as_uri()}"); }}' for f, p in available())
