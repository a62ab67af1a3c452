"""电子印章 (issue 22): the demo seal made with the embedded default's database, `onematter seal
init|import|show`, a bureau's own PKCS#12 installed with its passphrase from the environment, and
the served stack refusing to start without a seal."""

from __future__ import annotations

import datetime as dt
import json
import stat

import pytest

from typer.testing import CliRunner

from onematter.cli import app as cli
from tests.conftest import _clear_caches

runner = CliRunner()


def _bureau_p12(tmp_path, passphrase: bytes, *, usage: bool = True, crl: bool = False):
    """A bureau's own seal: an RSA key and certificate under a root of its own, as PKCS#12."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)
    root_key, key = rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "浙江省数字证书认证中心（测试）")])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name).public_key(root_key.public_key())
            .serial_number(7).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=90))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(root_key, hashes.SHA256()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "平湖市退役军人事务局")]))
            .issuer_name(root_name).public_key(key.public_key()).serial_number(8)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=60)))
    if usage:
        cert = cert.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True)
    cert = cert.sign(root_key, hashes.SHA256())
    path = tmp_path / f"bureau-{usage}.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"seal", key, cert, [root],
                                                           serialization.BestAvailableEncryption(passphrase)))
    if crl:        # the CA's revocation list, as the bureau would download it: nothing revoked
        listed = (x509.CertificateRevocationListBuilder().issuer_name(root_name)
                  .last_update(now - dt.timedelta(hours=1)).next_update(now + dt.timedelta(days=7))
                  .add_extension(x509.CRLNumber(1), critical=False)
                  .sign(root_key, hashes.SHA256()))
        (tmp_path / "ca.crl").write_bytes(listed.public_bytes(serialization.Encoding.PEM))
    return path


def test_the_embedded_default_makes_a_demo_seal_and_serve_needs_one(env, monkeypatch):
    monkeypatch.delenv("ONEMATTER_SEAL_DIR")
    _clear_caches()
    made = runner.invoke(cli, ["init-db"])
    assert made.exit_code == 0, made.output
    directory = env / "data" / "seal"
    assert "已生成示例电子印章" in made.output
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in directory.iterdir())
    first = (directory / "seal.p12").read_bytes()
    assert runner.invoke(cli, ["init-db"]).exit_code == 0 and (directory / "seal.p12").read_bytes() == first

    shown = runner.invoke(cli, ["seal", "show", "--json"])
    assert shown.exit_code == 0, shown.output
    facts = json.loads(shown.stdout)
    assert facts["demo"] is True and "示例" in facts["subject"] and "示例根证书" in facts["issuer"]
    assert len(facts["sha256_fingerprint"]) == 64
    assert dt.datetime.fromisoformat(facts["not_after"]) > dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365)
    assert runner.invoke(cli, ["seal", "init"]).exit_code == 1                    # never over one

    # the served stack never makes one: without it, it refuses to start and says how
    monkeypatch.setenv("ONEMATTER_SEAL_DIR", str(env / "no-seal"))
    _clear_caches()
    served = runner.invoke(cli, ["serve"])
    assert served.exit_code == 1 and "未配置电子印章" in served.output and "onematter seal import" in served.output


def test_a_configured_database_gets_no_demo_seal_and_cannot_issue(env, monkeypatch, db):
    """Not the embedded default (a database URL is set): no demo seal is made, and issuing fails
    with the message saying how to install the bureau's."""
    from onematter.documents import render as docs
    from onematter.documents.seal import SealMissing
    monkeypatch.setenv("ONEMATTER_SEAL_DIR", str(env / "none"))
    monkeypatch.setenv("ONEMATTER_DATABASE_URL", db)
    _clear_caches()
    from onematter.services import seals
    assert seals.embedded_default() is None and not (env / "none").exists()
    with pytest.raises(SealMissing, match="未配置电子印章.*onematter seal import"):
        docs.render("receipt/document.html", _receipt_context(), sealed=True)


def test_a_bureaus_own_seal_is_imported_with_its_passphrase_from_the_environment(env, tmp_path, monkeypatch):
    monkeypatch.setenv("ONEMATTER_SEAL_DIR", str(env / "seal"))
    monkeypatch.delenv("ONEMATTER_SEAL_PASSPHRASE", raising=False)
    _clear_caches()
    p12 = _bureau_p12(tmp_path, b"correct horse")
    image = tmp_path / "seal.png"
    from onematter.documents.seal import draw_seal
    image.write_bytes(draw_seal("平湖市退役军人事务局", "★"))

    refused = runner.invoke(cli, ["seal", "import", str(p12), "--image", str(image), "--json"])
    assert refused.exit_code == 1 and "口令" in json.loads(refused.stdout)["message"]
    assert not (env / "seal").exists()                                  # nothing installed half-way

    monkeypatch.setenv("ONEMATTER_SEAL_PASSPHRASE", "correct horse")
    _clear_caches()
    unfit = runner.invoke(cli, ["seal", "import", str(_bureau_p12(tmp_path, b"correct horse", usage=False)),
                                "--image", str(image), "--json"])
    assert unfit.exit_code == 1 and "不可否认" in json.loads(unfit.stdout)["message"]
    done = runner.invoke(cli, ["seal", "import", str(p12), "--image", str(image), "--json"])
    assert done.exit_code == 0, done.output
    facts = json.loads(done.stdout)
    assert facts["demo"] is False and "平湖市退役军人事务局" in facts["subject"]
    assert facts["trust_roots"] == ["Common Name: 浙江省数字证书认证中心（测试）"]
    assert not (env / "seal" / "passphrase").exists()                   # the passphrase is never stored

    from onematter.documents import render as docs, seal
    # a bureau's own seal signs nothing while the QR codes would point at this machine; serve says so
    with pytest.raises(seal.SealError, match="ONEMATTER_PUBLIC_BASE_URL"):
        docs.render("receipt/document.html", _receipt_context(), sealed=True)
    served = runner.invoke(cli, ["serve"])
    assert served.exit_code == 1 and "ONEMATTER_PUBLIC_BASE_URL" in served.output, served.output
    monkeypatch.setenv("ONEMATTER_PUBLIC_BASE_URL", "https://ywtb.pinghu.example.cn")
    _clear_caches()
    rendered = docs.render("receipt/document.html", _receipt_context(), sealed=True)
    found = seal.check(rendered.pdf)
    assert rendered.sealed and found["intact"] and found["trusted"] and "平湖市退役军人事务局" in found["signer"]


def _receipt_context() -> dict:
    from tests.test_documents import _minimal_context
    ctx = _minimal_context("王某")
    for key in ("verification_code", "qr_svg"):
        ctx.pop(key)
    return ctx | {"delivery": {"method": "window", "label": "窗口领取"}}


def test_with_the_cas_revocation_list_the_signature_is_pades_b_lt(env, tmp_path, monkeypatch):
    """ONEMATTER_SEAL_CRL_FILE (the CA's CRL, downloaded by the bureau: nothing is fetched while
    signing): the chain and the CRL are embedded (the document security store), and the signature
    validates as PAdES B-LT from what the file carries alone."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    monkeypatch.setenv("ONEMATTER_SEAL_DIR", str(env / "seal"))
    monkeypatch.setenv("ONEMATTER_SEAL_PASSPHRASE", "correct horse")
    monkeypatch.setenv("ONEMATTER_PUBLIC_BASE_URL", "https://ywtb.pinghu.example.cn")
    _clear_caches()
    p12 = _bureau_p12(tmp_path, b"correct horse", crl=True)
    from onematter.documents import render as docs, seal
    from onematter.documents.seal import draw_seal
    (tmp_path / "seal.png").write_bytes(draw_seal("平湖市退役军人事务局", "★"))
    assert runner.invoke(cli, ["seal", "import", str(p12), "--image", str(tmp_path / "seal.png")]).exit_code == 0
    plain = docs.render("receipt/document.html", _receipt_context(), sealed=True).pdf
    monkeypatch.setenv("ONEMATTER_SEAL_CRL_FILE", str(tmp_path / "ca.crl"))
    _clear_caches()
    sealed = docs.render("receipt/document.html", _receipt_context(), sealed=True).pdf
    assert b"/DSS" not in plain and b"/DSS" in sealed and b"/CRLs" in sealed
    reader = PdfFileReader(io.BytesIO(sealed))
    # revocation checked strictly (hard-fail), no fetching: only what the file embeds
    context = DocumentSecurityStore.read_dss(reader).as_validation_context(
        {"trust_roots": list(seal.current().trust), "allow_fetching": False, "revocation_mode": "hard-fail"})
    status = validate_pdf_signature(reader.embedded_signatures[0], context)
    assert status.intact and status.valid and status.trusted, status
    # what it embeds: the CA's CRL as downloaded, and the chain
    from asn1crypto import pem
    dss = DocumentSecurityStore.read_dss(reader)
    embedded = [ref.get_object().data for ref in dss.crls]
    assert embedded == [pem.unarmor((tmp_path / "ca.crl").read_bytes())[2]]
    assert {c.subject.human_friendly for c in dss.load_certs()} >= {"Common Name: 浙江省数字证书认证中心（测试）"}
