"""Documents: a pure function of (template, context), rendered by WeasyPrint.

One Jinja2 environment (autoescape, StrictUndefined), one base template and stylesheet, fonts
named explicitly, a URL fetcher that serves only files under templates/, a glyph check that
refuses to print a character no installed font has, and one FontConfiguration per process."""

from __future__ import annotations

import atexit
import hashlib
import json
import mimetypes
import re
import subprocess
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlparse

import jinja2
from markupsafe import Markup

from onematter.config.settings import get_settings
from onematter.documents import seal
from onematter.documents.files import write_atomically
from onematter.documents.fonts import font_face_css, fonts_dir

FONT_PACKAGE = "fonts-noto-cjk"
PRIMARY_FONTS = ("Noto Sans CJK SC", "Noto Serif CJK SC")
_lock = threading.Lock()   # WeasyPrint/Pango are not safe to drive from several threads at once


class RenderError(Exception):
    pass


class FetchRefused(ValueError):
    pass


# ------------------------------------------------------------------ environment


@lru_cache(maxsize=4)
def _env(templates_dir: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["cssstr"] = css_string
    env.filters["yuan"] = lambda v: f"{int(v):,}"
    env.filters["capitals"] = capitals
    env.filters["cn_date"] = lambda v: _nowrap(f"{v[:4]}年{int(v[5:7])}月{int(v[8:10])}日") if v else ""
    env.filters["cn_month"] = lambda v: _nowrap(f"{v[:4]}年{int(v[5:7])}月") if v else ""
    env.filters["tail"] = keep_tail
    return env


def _nowrap(text: str) -> Markup:
    return Markup('<span class="nowrap">') + text + Markup("</span>")


_UNBREAKABLE = re.compile(r"[\u4e00-\u9fff]{0,3}〔\d{4}〕\d+号|公告\d{4}年第\d+号|\d{4}年\d{1,2}月(?:\d{1,2}日)?")


def keep_tail(text: str, chars: int = 4) -> Markup:
    """A paragraph's text with its last few characters kept on one line (no lone character on the
    last line) and no 文号 or date broken across lines."""
    text = str(text)
    found = list(_UNBREAKABLE.finditer(text))
    cut = max(len(text) - chars, 0)
    for m in found:
        if m.start() < cut < m.end():
            cut = m.start()
    out, at = Markup(""), 0
    for m in found:
        if m.end() > cut:
            break
        out += Markup.escape(text[at:m.start()]) + _nowrap(m.group(0))
        at = m.end()
    return out + Markup.escape(text[at:cut]) + _nowrap(text[cut:])


def capitals(yuan: int) -> str:
    """An amount in 大写 (贰万柒仟元整), by cn2an."""
    import cn2an  # lazy: only for amounts in capitals
    return cn2an.an2cn(int(yuan), "rmb")


def css_string(value: Any) -> Markup:
    """A value placed inside a CSS string: quotes, backslashes, newlines and '<' escaped."""
    out = []
    for ch in str(value):
        if ch.isalnum() or ch in " -_.:/()（）、，。" or ord(ch) > 0x2E7F:
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):06x}")
    return Markup('"' + "".join(out) + '"')


def templates_dir() -> Path:
    return get_settings().templates_dir.resolve()


def _fetcher_class():
    from weasyprint.urls import (  # lazy: WeasyPrint only when rendering (the CLI's reading commands import this module)
        URLFetcher,
        URLFetcherResponse,
    )

    class TemplatesOnlyFetcher(URLFetcher):
        """Serve files under templates/ only; refuse everything else at once (no network)."""

        def fetch(self, url, headers=None):
            root = templates_dir()
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise FetchRefused(f"拒绝读取外部资源：{url}")
            path = Path(unquote(parsed.path)).resolve()
            fonts = fonts_dir().resolve()
            if fonts in path.parents and path.suffix == ".otf" and path.is_file():
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers={"Content-Type": "font/otf"})
            if root not in path.parents or not path.is_file():
                raise FetchRefused(f"拒绝读取模板目录以外的文件：{url}")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers={"Content-Type": mime})

    return TemplatesOnlyFetcher


@lru_cache(maxsize=1)
def url_fetcher():
    return _fetcher_class()(allowed_protocols=["file"], timeout=1, allow_redirects=False)


@lru_cache(maxsize=1)
def font_config():
    from weasyprint.text.fonts import (
        FontConfiguration,  # lazy: WeasyPrint only when rendering (the CLI's reading commands import this module)
    )
    # let go of it (and its temporary font folder) before the interpreter tears its modules down
    atexit.register(stylesheets.cache_clear)
    atexit.register(font_config.cache_clear)
    return FontConfiguration()


@lru_cache(maxsize=1)
def stylesheets() -> tuple:
    """The cut fonts' @font-face rules and styles/print.css, parsed once per process (the fonts
    registered with the font configuration once, not per document). Given to every layout as
    stylesheets; a template's own <style> blocks come after them."""
    from weasyprint import CSS  # lazy: WeasyPrint only when rendering
    base = str(templates_dir()) + "/"
    return (CSS(string=font_face_css(), base_url=base, url_fetcher=url_fetcher(), font_config=font_config()),
            CSS(filename=str(templates_dir() / "styles" / "print.css"), base_url=base + "styles/",
                url_fetcher=url_fetcher(), font_config=font_config()))


# ------------------------------------------------------------------ glyph coverage


@lru_cache(maxsize=1)
def _primary_cmap() -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont  # lazy: fontTools only to check a name's glyphs
    path = subprocess.run(["fc-match", "-f", "%{file}", PRIMARY_FONTS[0]], capture_output=True, text=True).stdout
    if "NotoSansCJK" not in path.replace("-", "").replace(" ", ""):
        raise RenderError(f"未安装中文字体 {PRIMARY_FONTS[0]}：请安装 {FONT_PACKAGE}（apt-get install {FONT_PACKAGE}）")
    font = TTCollection(path, lazy=True).fonts[0] if path.endswith(".ttc") else TTFont(path, lazy=True)
    return frozenset(font.getBestCmap())


@lru_cache(maxsize=4096)
def _any_font_has(codepoint: int) -> bool:
    out = subprocess.run(["fc-list", f":charset={codepoint:x}", "family"], capture_output=True, text=True).stdout
    return bool(out.strip())


def check_glyphs(texts: list[str]) -> None:
    cmap = _primary_cmap()
    for text in texts:
        for ch in set(text):
            cp = ord(ch)
            if cp < 0x80 or cp in cmap or unicodedata.category(ch) in ("Cc", "Cf", "Zs"):
                continue
            if not _any_font_has(cp):
                raise RenderError(
                    f"字符“{ch}”（U+{cp:04X}）在已安装的字体中都没有字形，无法正确打印。"
                    f"请安装覆盖该字符的字体（如 {FONT_PACKAGE}，或含扩展汉字的字体如 fonts-hanazono）后重试。")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


# ------------------------------------------------------------------ rendering


_MATTER_FOLDER = re.compile(r"^matters/[^/]+/")


def template_identity(template: str) -> str:
    """What a document's hash names of its template: its name within its owner's folder (a
    matter's templates are in templates/matters/<key>/). So a document's verification code depends
    on which template it is, not on where the file lies: moving a matter's templates into its folder
    changed no code, and a lost file re-rendered from what was issued comes back identical."""
    return _MATTER_FOLDER.sub("", template)


def context_sha256(template: str, context: dict) -> str:
    blob = json.dumps({"template": template_identity(template), "context": context}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def verification_code(content_sha256: str) -> str:
    code = content_sha256[:10].upper()
    return f"{code[:5]}-{code[5:]}"


def render_html(template: str, context: dict) -> str:
    check_glyphs(_strings(context))
    return _env(str(templates_dir())).get_template(template).render(**context)


def html_document(html: str):
    """Lay out HTML with WeasyPrint: returns a weasyprint.Document."""
    from weasyprint import HTML  # lazy: WeasyPrint only when rendering (the CLI's reading commands import this module)
    with _lock:
        return HTML(string=html, base_url=str(templates_dir()) + "/", url_fetcher=url_fetcher()).render(
            font_config=font_config(), stylesheets=list(stylesheets()))


def warm_fonts() -> None:
    """A long-lived process (a worker) lays out one page at start, so that its first document is
    as quick as the next: fonts found, loaded and configured once."""
    html = "<h1>退役军人服务中心</h1><p>受理回执 <b>平湖市</b></p>"
    write_pdf(html_document(html))


def write_pdf(document, target: Path | None = None) -> bytes:
    with _lock:
        pdf = document.write_pdf(uncompressed_pdf=False)
    if target is not None:
        write_atomically(target, pdf)
    return pdf


@dataclass
class Rendered:
    template: str
    context_sha256: str
    verification_code: str
    document: Any          # weasyprint.Document
    pdf: bytes             # the file as issued: sealed when `sealed`, else as rendered
    content_sha256: str = ""     # the PDF as rendered (a sealed file's first revision): deterministic
    sealed: bool = False

    def __post_init__(self):
        self.content_sha256 = self.content_sha256 or hashlib.sha256(self.pdf).hexdigest()

    @property
    def pdf_sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()

    @property
    def pages(self) -> int:
        return len(self.document.pages)


def _issue(template: str, digest: str, code: str, document, target: Path | None, *, seal_it: bool,
           title: str, always: bool = False) -> Rendered:
    """The laid-out document as a PDF, sealed (documents.seal) when `seal_it` and its layout has a
    seal area (or `always`: a packet), written to `target`."""
    pdf = write_pdf(document)
    content = hashlib.sha256(pdf).hexdigest()
    sealed = seal_it and (always or bool(seal.areas(document)))
    if sealed:
        pdf = seal.sign(document, pdf, title=title)
    if target is not None:
        write_atomically(target, pdf)
    return Rendered(template, digest, code, document, pdf, content, sealed)


def render(template: str, context: dict, target: Path | None = None, *, sealed: bool = False) -> Rendered:
    """Render one document. `context` must not contain the verification code: it is derived
    from the context's hash and added here. `sealed`: the bureau's signature on it when its layout
    has a seal area (the signature is appended: the rendered bytes stay the file's first revision)."""
    digest = context_sha256(template, context)
    code = verification_code(digest)
    doc = context.get("doc") or {}
    html = render_html(template, {**context, "verification_code": code, "qr_svg": qr_svg(context, code),
                                  "verify_link": verify_link(doc, code),
                                  "track_qr": link_qr(doc.get("track_url"), doc.get("number", ""), code),
                                  "rate_qr": link_qr(doc.get("rate_url"), doc.get("number", ""), code)})
    return _issue(template, digest, code, html_document(html), target, seal_it=sealed, title=doc.get("title", ""))


def combine(cover, parts: list, target: Path | None = None, *, sealed: bool = False,
            title: str = "文书清单") -> Rendered:
    """The packet: the cover's pages then every part's pages, laid out once, fonts embedded once;
    `sealed`: one signature over it all, the seal over each notice's seal area."""
    pages = [p for d in [cover.document, *[r.document for r in parts]] for p in d.pages]
    combined = cover.document.copy(pages)
    return _issue(cover.template, cover.context_sha256, cover.verification_code, combined, target,
                  seal_it=sealed, title=title, always=True)


def verify_link(doc: dict, code: str) -> str:
    base = doc.get("verify_url") or ""
    query = urlencode({"no": doc.get("number", ""), "code": code})
    return f"{base}?{query}" if base else f"ONEMATTER|{doc.get('number', '')}|{code}"


def link_qr(url: str | None, number: str, code: str) -> Markup:
    """A second QR code (inline SVG) for the veteran's own page (办件查询, 好差评): `url` with the
    document number and code; none when the document has no such page."""
    if not url:
        return Markup("")
    import segno  # lazy: only when a QR code is drawn
    payload = f"{url}?{urlencode({'no': number, 'code': code})}"
    return Markup(segno.make(payload, error="m").svg_inline(scale=2, border=1, omitsize=False))


def qr_svg(context: dict, code: str) -> Markup:
    """A QR code (inline SVG): the verification page's URL with the document number and code."""
    doc = context.get("doc") or {}
    if not doc.get("qr"):
        return Markup("")
    import segno  # lazy: only when a QR code is drawn
    payload = verify_link(doc, code)
    return Markup(segno.make(payload, error="m").svg_inline(scale=2, border=1, omitsize=False))
