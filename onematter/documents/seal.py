"""电子印章: the bureau's PAdES signature on every document it issues (《国务院关于在线政务服务的若干
规定》第八至十条: a reliable electronic seal has the force of a physical one).

A seal is a signing certificate and its key (PKCS#12), the certificates it is validated against
(the trust roots) and the seal's image, kept together in the seal directory
(`ONEMATTER_SEAL_DIR`, default `<data dir>/seal`, 0700):

    seal.p12     the certificate, its key and its chain; its passphrase comes from
                 ONEMATTER_SEAL_PASSPHRASE or the file ONEMATTER_SEAL_PASSPHRASE_FILE
                 (default `passphrase` here, written 0600 by `seal init` for the demo seal only)
    trust.pem    the roots a signature is validated against (`verify`, /verify)
    seal.png     the image drawn in the seal area, with a transparent background

A document's layout marks its seal area (`id="seal-area"`, templates/_macros.html); signing puts
the seal image over every such area — the last one as the signature's own appearance, the others
(the earlier notices of a packet) as stamps in the same signed revision — and adds one PAdES
signature (baseline B-B; B-T with an RFC 3161 timestamp when ONEMATTER_TSA_URL is set) as an
incremental update. The rendered PDF is thus the signed file's first revision, byte for byte:
what is deterministic (the content, its hash, the verification code) stays so, and only the
appended signature differs from one signing to the next."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import secrets
import shutil
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from onematter.config.settings import get_settings
from onematter.documents import pdfnumber

SEAL_FILE, TRUST_FILE, IMAGE_FILE, PASSPHRASE_FILE = "seal.p12", "trust.pem", "seal.png", "passphrase"
AREA = "seal-area"            # the id of the seal area in a document's layout
SEAL_MM = 40.0                # the seal's diameter (GB/T 9704: about 40 mm, over the date)
DEMO_MARK = "示例"
FIELD = "印章"
# pyHanko imports cryptography's DSA, which warns on import: not a message for a clerk's terminal
warnings.filterwarnings("ignore", message="DSA is deprecated")


class SealError(Exception):
    """The seal is missing, cannot be opened, or will not sign (a Chinese message)."""


class SealMissing(SealError):
    pass


def seal_dir() -> Path:
    settings = get_settings()
    return settings.seal_dir or settings.data_dir / "seal"


HOW_TO = ("嵌入式默认配置下，onematter init-db 会生成示例印章（仅供演示）；正式使用请运行 "
          "onematter seal import 本局印章.p12 --image 印章图片.png，并以 ONEMATTER_SEAL_PASSPHRASE 或 "
          "ONEMATTER_SEAL_PASSPHRASE_FILE 提供其口令")


def _passphrase(directory: Path) -> bytes | None:
    settings = get_settings()
    if settings.seal_passphrase is not None:
        return settings.seal_passphrase.encode()
    path = settings.seal_passphrase_file or directory / PASSPHRASE_FILE
    try:
        return path.read_bytes().strip() or None
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SealError(f"无法读取印章口令文件 {path}：{exc.strerror}") from None


@dataclass(frozen=True)
class Seal:
    directory: Path
    signer: object              # pyhanko.sign.signers.SimpleSigner
    certificate: object         # asn1crypto.x509.Certificate
    trust: tuple                # asn1crypto certificates: the roots
    image: bytes                # the PNG

    @property
    def demo(self) -> bool:
        return DEMO_MARK in self.certificate.subject.human_friendly


@lru_cache(maxsize=4)
def _load(directory: str, stamp: tuple) -> Seal:
    from asn1crypto import pem, x509  # lazy: pyHanko only when sealing
    from pyhanko.sign import signers

    path = Path(directory)
    p12 = path / SEAL_FILE
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=_passphrase(path))
    except Exception as exc:  # noqa: BLE001 — pyHanko reports a bad file or passphrase in many ways
        raise SealError(f"印章文件 {p12} 无法打开（口令不对或文件已损坏）：{exc}") from None
    if signer is None:
        raise SealError(f"印章文件 {p12} 无法打开：口令不对或文件已损坏")
    trust = []
    for _, _, der in pem.unarmor((path / TRUST_FILE).read_bytes(), multiple=True):
        trust.append(x509.Certificate.load(der))
    return Seal(path, signer, signer.signing_cert, tuple(trust), (path / IMAGE_FILE).read_bytes())


def current() -> Seal:
    """The configured seal (read again when its files change), or SealMissing saying how to make one."""
    directory = seal_dir()
    files = [directory / SEAL_FILE, directory / TRUST_FILE, directory / IMAGE_FILE]
    try:
        stamp = tuple(f.stat().st_mtime_ns for f in files)
    except FileNotFoundError:
        raise SealMissing(f"未配置电子印章（{directory} 中没有 {SEAL_FILE}、{TRUST_FILE} 和 {IMAGE_FILE}），"
                          f"不能出具文书。{HOW_TO}") from None
    return _load(str(directory), stamp)


def configured() -> bool:
    try:
        current()
    except SealError:
        return False
    return True


# ------------------------------------------------------------------ making and installing


def make_demo(directory: Path | None = None) -> dict:
    """A demo CA and seal certificate (both marked 示例), a random passphrase in a 0600 file, the
    trust file and a red round seal image marked 示例: for the embedded default, never for a bureau."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    settings = get_settings()
    directory = directory or seal_dir()
    if (directory / SEAL_FILE).exists():
        raise SealError(f"{directory / SEAL_FILE} 已存在，未覆盖")

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"{settings.issuing_body}（{DEMO_MARK}）"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())

    def usage(*, sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=sign, content_commitment=sign, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=not sign,
                             crl_sign=not sign, encipher_only=False, decipher_only=False)

    ca_name = name(f"onematter {DEMO_MARK}根证书")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(usage(sign=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder().subject_name(name(f"{settings.issuing_body}电子印章（{DEMO_MARK}）"))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(sign=True), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    passphrase = secrets.token_urlsafe(24).encode()
    p12 = pkcs12.serialize_key_and_certificates(b"seal", key, cert, [ca],
                                                serialization.BestAvailableEncryption(passphrase))
    staging = _staging(directory)
    _private(staging / SEAL_FILE, p12)
    _private(staging / PASSPHRASE_FILE, passphrase + b"\n")
    _private(staging / TRUST_FILE, ca.public_bytes(serialization.Encoding.PEM))
    _private(staging / IMAGE_FILE, draw_seal(settings.issuing_body, DEMO_MARK))
    _place(staging, directory)
    return describe(current())


def install(p12_file: Path, image_file: Path, trust_file: Path | None = None) -> dict:
    """A bureau's own seal: the PKCS#12 (opened here with the configured passphrase, which is not
    stored), its image, and the roots to trust (its own chain's root when not given)."""
    from asn1crypto import pem as pem_
    from pyhanko.sign import signers

    directory = seal_dir()
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(p12_file), passphrase=_passphrase(directory))
    except Exception:  # noqa: BLE001
        signer = None
    if signer is None:
        raise SealError(f"{p12_file} 无法打开：请以 ONEMATTER_SEAL_PASSPHRASE 或 ONEMATTER_SEAL_PASSPHRASE_FILE 提供正确的口令")
    usage = signer.signing_cert.key_usage_value
    if usage is None or "non_repudiation" not in usage.native:
        raise SealError(f"{p12_file} 中的证书不能用于电子印章：缺少“不可否认”（nonRepudiation）密钥用途")
    image = image_file.read_bytes()
    if not image.startswith(b"\x89PNG"):
        raise SealError(f"{image_file} 不是 PNG 图片：印章图片应为透明底的 PNG")
    if trust_file is not None:
        trust = trust_file.read_bytes()
    else:
        chain = list(signer.cert_registry) or [signer.signing_cert]
        root = next((c for c in chain if c.self_signed == "maybe" or c.subject == c.issuer), chain[-1])
        trust = pem_.armor("CERTIFICATE", root.dump())
    staging = _staging(directory)
    shutil.copyfile(p12_file, staging / SEAL_FILE)
    os.chmod(staging / SEAL_FILE, 0o600)
    _private(staging / TRUST_FILE, trust)
    _private(staging / IMAGE_FILE, image)
    _place(staging, directory, replace=True)
    return describe(current())


def _staging(directory: Path) -> Path:
    directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = directory.with_name(f".{directory.name}.{secrets.token_hex(4)}")
    staging.mkdir(mode=0o700)
    return staging


def _place(staging: Path, directory: Path, *, replace: bool = False) -> None:
    """The staged files put in place at once. Several processes making the demo seal at once keep
    the one that got there first."""
    if replace and directory.exists():
        old = directory.with_name(f".{directory.name}.old.{secrets.token_hex(4)}")
        directory.rename(old)
        shutil.rmtree(old, ignore_errors=True)
    try:
        staging.rename(directory)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (directory / SEAL_FILE).exists():
            raise
    _load.cache_clear()


def _private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def ensure_demo() -> dict | None:
    """The embedded default's seal: made when none is configured (init-db, demo). What was made, or None."""
    if (seal_dir() / SEAL_FILE).exists():
        return None
    try:
        return make_demo()
    except SealError:
        return None            # another process made it meanwhile


def describe(seal: Seal) -> dict:
    cert = seal.certificate
    validity = cert["tbs_certificate"]["validity"]
    return {"directory": str(seal.directory), "subject": cert.subject.human_friendly,
            "issuer": cert.issuer.human_friendly,
            "not_before": validity["not_before"].native.isoformat(),
            "not_after": validity["not_after"].native.isoformat(),
            "sha256_fingerprint": hashlib.sha256(cert.dump()).hexdigest().upper(),
            "demo": seal.demo, "trust_roots": [c.subject.human_friendly for c in seal.trust],
            "timestamp_url": get_settings().tsa_url or None}


def draw_seal(body: str, mark: str) -> bytes:
    """A round red seal with the body's name along the rim, a star and `mark` below it (PNG,
    transparent background)."""
    import math
    import subprocess

    from PIL import Image, ImageDraw, ImageFont

    size, red = 480, (220, 20, 30, 255)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 12, size - 12, size - 12), outline=red, width=16)
    centre = size / 2
    points = []
    for i in range(10):
        r = 70 if i % 2 == 0 else 27
        a = -math.pi / 2 + i * math.pi / 5
        points.append((centre + r * math.cos(a), centre + r * math.sin(a)))
    draw.polygon(points, fill=red)
    face = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC:bold"], capture_output=True, text=True).stdout
    rim = ImageFont.truetype(face, 56, index=0)
    span = 240 if len(body) > 6 else 180          # degrees of the rim the name takes
    for i, ch in enumerate(body):
        angle = math.radians(-90 - span / 2 + (span * i / max(len(body) - 1, 1)))
        x, y = centre + (size / 2 - 72) * math.cos(angle), centre + (size / 2 - 72) * math.sin(angle)
        glyph = Image.new("RGBA", (80, 80), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((40, 40), ch, font=rim, fill=red, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.BICUBIC)
        image.alpha_composite(glyph, (int(x - 40), int(y - 40)))
    draw.text((centre, centre + 118), mark, font=ImageFont.truetype(face, 48, index=0), fill=red, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


# ------------------------------------------------------------------ signing


def areas(document) -> list[tuple[int, tuple[int, int, int, int]]]:
    """Where the seal goes: (page index, box in PDF points, lower left origin), one per seal area
    of the laid-out (WeasyPrint) document, in page order: a square of SEAL_MM centred over the
    area, its foot 3 mm below the date, so the issuer and the date sit in the seal's lower half
    (GB/T 9704-2012 7.3.5.1: 居中下压发文机关署名和成文日期)."""
    side = SEAL_MM / 25.4 * 72
    below = 3 / 25.4 * 72
    found = []
    for index, page in enumerate(document.pages):
        box = page.anchors.get(AREA)
        if not box:
            continue
        x1, _, x2, y2 = (v * 0.75 for v in box)      # CSS px to points
        cx, foot = (x1 + x2) / 2, page.height * 0.75 - y2 - below
        found.append((index, (round(cx - side / 2), round(foot), round(cx + side / 2), round(foot + side))))
    return found


def refuse_local_address(seal: Seal) -> None:
    """A bureau's own seal signs only documents whose QR codes open for their readers: never while
    ONEMATTER_PUBLIC_BASE_URL is unset or this machine's (the demo seal may: its address is 示例)."""
    settings = get_settings()
    if not seal.demo and settings.public_url_is_local:
        raise SealError(f"对外核验地址 ONEMATTER_PUBLIC_BASE_URL 未设置或为本机地址（{settings.public_base_url}）："
                        "文书上的二维码在本机以外无法打开，不能以本局印章出具文书。请设置为公众可访问的核验地址")


def sign(document, pdf: bytes, *, title: str) -> bytes:
    """`pdf` (the rendered `document`) sealed: the seal image over every seal area and one PAdES
    signature, the last area its visible appearance (none: an invisible signature)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.stamp import StaticStampStyle

    seal = current()
    refuse_local_address(seal)
    places = areas(document)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    style = StaticStampStyle(background=_stencil(seal.image, writer), border_width=0, background_opacity=1.0)
    for index, box in places[:-1]:       # a packet's earlier notices: the seal as a stamp
        style.create_stamp(writer, box=_layout_box(box), text_params={}).apply(index, box[0], box[1])
    field = fields.SigFieldSpec(FIELD, on_page=places[-1][0], box=places[-1][1]) if places else \
        fields.SigFieldSpec(FIELD)
    crls = revocation_lists()
    meta = signers.PdfSignatureMetadata(field_name=FIELD, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        reason=f"出具{title}", location=get_settings().issuing_body,
                                        # B-LT: the chain and its CRLs embedded (a file the CA publishes,
                                        # fetched by the bureau: nothing is fetched at signing time)
                                        embed_validation_info=bool(crls),
                                        validation_context=_validation_context(seal, crls) if crls else None)
    url = get_settings().tsa_url
    timestamper = timestamps.HTTPTimeStamper(url, timeout=10) if url else None
    signer = signers.PdfSigner(meta, seal.signer, timestamper=timestamper, stamp_style=style if places else None,
                               new_field_spec=field)
    return pdfnumber.outside_event_loop(lambda: signer.sign_pdf(writer)).getvalue()


@lru_cache(maxsize=4)
def _mask(png: bytes) -> tuple[int, int, tuple[float, float, float], bytes]:
    """The seal image as a 1-bit stencil and its colour: (width, height, rgb, Flate-compressed bits).
    A seal is one ink: a stencil mask filled with it is a few KB, where the image with its alpha
    channel added 50 KB to every document."""
    import zlib

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    alpha = image.getchannel("A")
    inked = [p for p, a in zip(image.getdata(), alpha.getdata()) if a > 128]
    rgb = tuple(round(sum(p[i] for p in inked) / len(inked) / 255, 3) for i in range(3)) if inked else (0.8, 0.1, 0.1)
    bits = alpha.point(lambda a: 255 if a > 128 else 0).convert("1")
    return image.width, image.height, rgb, zlib.compress(bits.tobytes(), 9)


def _stencil(png: bytes, writer):
    """A pyHanko content drawing the seal: the stencil mask painted in the seal's colour."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.layout import BoxConstraints
    from PIL import Image

    width, height, rgb, data = _mask(png)

    class Stencil(PdfImage):
        @property
        def image_ref(self):
            if self._image_ref is None or self._image_ref.get_pdf_handler() is not self.writer:
                stream = generic.StreamObject({
                    generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
                    generic.pdf_name("/Subtype"): generic.pdf_name("/Image"),
                    generic.pdf_name("/Width"): generic.NumberObject(width),
                    generic.pdf_name("/Height"): generic.NumberObject(height),
                    generic.pdf_name("/ImageMask"): generic.BooleanObject(True),
                    generic.pdf_name("/Decode"): generic.ArrayObject([generic.NumberObject(1), generic.NumberObject(0)]),
                    generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")}, encoded_data=data)
                self._image_ref = self.writer.add_object(stream)
            return self._image_ref

        def render(self) -> bytes:
            return b"%g %g %g rg " % rgb + super().render()

    return Stencil(Image.new("1", (width, height)), writer=writer, box=BoxConstraints(width, height))


def revocation_lists() -> list:
    """The CRLs of ONEMATTER_SEAL_CRL_FILE (PEM or DER, one or more), or none."""
    path = get_settings().seal_crl_file
    if path is None:
        return []
    from asn1crypto import crl, pem
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SealError(f"无法读取证书吊销列表 {path}：{exc.strerror}") from None
    if pem.detect(data):
        return [crl.CertificateList.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    return [crl.CertificateList.load(data)]


def _validation_context(seal: Seal, crls: list):
    from pyhanko_certvalidator import ValidationContext
    return ValidationContext(trust_roots=list(seal.trust), crls=crls, allow_fetching=False,
                             revocation_mode="hard-fail")


def _layout_box(box):
    from pyhanko.pdf_utils.layout import BoxConstraints
    return BoxConstraints(width=box[2] - box[0], height=box[3] - box[1])


def check(data: bytes, trust: tuple | None = None) -> dict:
    """The signature of a PDF (one of ours: uploads are read in a limited process, pdfnumber.py)
    validated against the configured seal's trust roots, unless given."""
    return pdfnumber.signature(data, current().trust if trust is None else trust)


content_sha256 = pdfnumber.content_sha256
first_revision = pdfnumber.first_revision
