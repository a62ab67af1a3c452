"""Documents a bureau can sign (issue 11): every kind rendered for the sample cases (approved,
rejected after review, refused at intake) and read back — dates, remedies, no system codes, the
capitals amount, masking, the QR code's URL, the two kinds of no, the receipt's two lists, 文号,
the official faces."""

import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from pypdf import PdfReader

from onematter.casework.dossier import kinds

pytestmark = pytest.mark.xdist_group("samples")     # one worker renders the samples once

CODE_PATTERN = re.compile(r"[a-z]+_[a-z]+")
WENHAO = re.compile(r"平退役军人〔\d{4}〕\d+号")
DATE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


def _text(path: Path) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(path).pages)


def _flat(path: Path) -> str:
    return re.sub(r"\s+", "", _text(path))


@pytest.fixture(scope="session")
def samples(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """`onematter samples` once per test process (kept even when xdist interleaves other modules'
    tests between this module's): {case: {doc_key: path}}."""
    from onematter.casework.samples import render_samples
    root = tmp_path_factory.mktemp("samples")
    out: dict[str, dict[str, Path]] = {}
    for path in render_samples(root):
        key = path.stem.split("-", 1)[1]
        out.setdefault(path.parent.name, {})[key] = path
    return out


def test_samples_render_every_document_kind(samples):
    names = {p.name for case in samples.values() for p in case.values()}
    for key, number in ((k.key, k.number) for k in kinds().values()):
        if key in ("refusal-training", "refusal-job_fair", "job_fair_waitlist"):
            continue          # no sample case is refused these or waitlisted (seats and fairs are open)
        assert f"{number:02d}-{key}.pdf" in names, key
    assert all(PdfReader(p).pages for case in samples.values() for p in case.values())


def test_no_system_code_and_no_blank_date_on_any_page(samples):
    for case, docs in samples.items():
        for key, path in docs.items():
            text = _text(path)
            assert not CODE_PATTERN.search(text), (case, key, CODE_PATTERN.search(text))
            assert "____" not in text and "原因代码" not in text, (case, key)


def test_every_refusal_is_dated_states_the_fact_cites_the_rule_and_names_the_remedy(samples):
    refusals = {(case, key): path for case, docs in samples.items() for key, path in docs.items()
                if key.startswith(("refusal-", "rejection-"))}
    assert {k for _, k in refusals} >= {"refusal-education", "refusal-employer_incentive", "refusal-startup_loan",
                                        "rejection-employer_incentive", "rejection-startup_loan"}
    for (case, key), path in refusals.items():
        text = _flat(path)
        # issuer, then the date (the QR code beside them may be read first)
        assert re.search(r"。(?:扫码核验本文书)?平湖市退役军人事务局\d{4}年\d{1,2}月\d{1,2}日", text), (case, key)
        assert WENHAO.search(text), (case, key)
        assert "行政复议" in text and "平湖市人民政府" in text and "60日内" in text, (case, key)
        assert "行政诉讼" in text and "有管辖权的人民法院" in text and "6个月内" in text, (case, key)
        assert "《" in text and "》" in text, (case, key)                 # the rule, cited by title
    education = _flat(samples["refused"]["refusal-education"])
    assert "您的退役类别为军官" in education and "选择其他课程" not in education
    incentive = _flat(samples["refused"]["refusal-employer_incentive"])
    assert "公告2023年第14号" in incentive and "选择其他课程或场次" not in incentive


def test_two_kinds_of_no_with_their_own_titles_and_addressees(samples):
    refused = _flat(samples["refused"]["refusal-employer_incentive"])
    rejected = _flat(samples["rejected"]["rejection-employer_incentive"])
    assert "不予受理告知书" in refused and "决定不予受理" in refused
    assert "审核不予确认通知书" in rejected and "不予受理" not in rejected and "经审核，不予确认" in rejected
    # to the enterprise, copy to the veteran, named by his real category (the refused one is an officer)
    for text, label in ((refused, "转业军官"), (rejected, "自主就业退役士兵")):
        assert text.index("平湖示例汽车零部件有限公司：") < text.index("抄送：")
        assert f"抄送：陆建军（{label}）" in text
    assert "劳动合同与社保缴纳单位不一致" in rejected and "李科长" in rejected
    loan = _flat(samples["rejected"]["rejection-startup_loan"])
    assert "贴息审核不予确认通知书" in loan and loan.index("陆建军：") < loan.index("抄送：")
    assert "抄送：平湖农村商业银行" in loan


def test_receipt_lists_refused_matters_only_under_not_accepted(samples):
    text = _flat(samples["refused"]["receipt"])
    accepted, _, refused = text.partition("不予受理事项")
    assert "已受理事项" in accepted
    for title in ("学历教育提升", "企业吸纳退役军人就业优惠政策申请", "退役军人创业担保贷款及贴息"):
        assert title not in accepted and title in refused
    # the pointer to its notice: the notice's 文号 (issue 22: notices are referred to by 文号)
    assert WENHAO.search(_flat(samples["refused"]["refusal-education"])).group(0) in refused
    for title in ("职业技能培训", "就业信息推送", "专场招聘会"):
        assert title in accepted and title not in refused
    whole = _flat(samples["approved"]["receipt"])
    assert "不予受理" not in whole and "平湖市当湖街道示例路100号" in whole and "0573-85000000" in whole


def test_completion_uses_the_notices_words_and_is_silent_on_refusals_when_none(samples):
    approved = _flat(samples["approved"]["completion"])
    assert "审核确认" in approved and "不予" not in approved and "告知书" not in approved
    rejected = _flat(samples["rejected"]["completion"])
    assert "审核不予确认" in rejected and "审核不予确认通知书" in rejected
    refused = _flat(samples["refused"]["completion"])
    assert "不予受理告知书" in refused


def test_incentive_notice_to_the_enterprise_with_capitals_and_materials_on_file(samples):
    text = _flat(samples["approved"]["incentive_approval"])
    assert text.count("自主就业退役士兵") >= 2 and "退役军人就业优惠" not in text.replace("企业吸纳退役军人就业优惠政策申请", "")
    assert "27,000元" in text and "贰万柒仟元整" in text
    for amount in ("陆仟柒佰伍拾元整", "玖仟元整", "贰仟贰佰伍拾元整"):
        assert amount in text
    assert "纳税申报时" in text and "留存备查" in text
    for material in ("退出现役证书", "劳动合同", "社会保险"):
        assert material in text
    assert "李科长" in text and "抄送：陆建军" in text
    assert "平湖示例汽车零部件有限公司：" in text
    assert "贰万柒仟元整" in _flat(samples["approved"]["loan_approval"])


def test_ticket_and_job_list_mask_the_id_the_form_keeps_it(samples):
    docs = samples["approved"]
    full = "330482199001011013"
    masked = "330482********1013"
    for key in ("job_fair", "job_push"):
        text = _flat(docs[key])
        assert masked in text and full not in text, key
    assert full in _flat(docs["form"]) and full in _flat(docs["incentive_approval"])


def test_contacts_where_the_reader_needs_them(samples):
    docs = samples["approved"]
    training = _flat(docs["training"])
    assert "平湖市钟埭街道示例路8号" in training and "开班当日8:30前" in training
    assert "王经理0573-85001001" in _flat(docs["job_push"])
    for key in ("receipt", "job_fair", "training", "incentive_approval", "completion"):
        assert "0573-85000000" in _flat(docs[key]), key


def test_words_a_veteran_reads(samples):
    docs = samples["approved"]
    every = "".join(_flat(p) for case in samples.values() for p in case.values())
    for phrase in ("材料包", "一次打印", "每次最多推送", "从高到低排列", "待审核人员审核"):
        assert phrase not in every, phrase
    assert "办理结果文书清单" in _flat(docs["packet"])
    education = _flat(docs["education"])
    assert "已登记报送" in education and "免学费" not in education
    assert "否" in _flat(docs["job_push"]) and "—" not in _flat(docs["job_push"])


def test_dates_written_in_chinese_without_padding_or_iso(samples):
    iso = re.compile(r"\b20\d\d-\d\d-\d\d\b")
    padded = re.compile(r"年0\d月|月0\d日")
    for case, docs in samples.items():
        for key, path in docs.items():
            text = _text(path)
            assert not iso.search(text), (case, key, iso.search(text))
            assert not padded.search(text), (case, key)


def test_notices_are_set_in_the_official_faces(samples):
    def fonts(path):
        names = set()
        for page in PdfReader(path).pages:
            for font in (page["/Resources"].get("/Font") or {}).values():
                names.add(str(font.get_object()["/BaseFont"]))
        return " ".join(names)
    for key in ("refusal-education", "completion"):
        assert "Serif" in fonts(samples["refused"][key]), key
    assert "Serif" not in fonts(samples["refused"]["receipt"])
    for key in ("refusal-education", "completion"):
        assert WENHAO.search(_flat(samples["refused"][key])), key
    assert not WENHAO.search(_flat(samples["refused"]["receipt"]).split("陆建军：")[0])   # no 文号 of its own
    numbers = {WENHAO.search(_flat(p)).group(0) for case in samples.values() for k, p in case.items()
               if k.startswith(("refusal-", "rejection-")) or k in ("completion", "incentive_approval")}
    count = sum(1 for case in samples.values() for k in case
                if k.startswith(("refusal-", "rejection-")) or k in ("completion", "incentive_approval"))
    assert len(numbers) == count                                       # one serial per notice


def _qr_payloads(path: Path, tmp: Path, page: int = 1) -> list[str]:
    import zxingcpp
    from PIL import Image
    page = page if page > 0 else len(PdfReader(path).pages)
    prefix = tmp / f"{path.parent.name}-{path.stem}"
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), str(path), str(prefix)], check=True)
    image = Image.open(next(tmp.glob(f"{prefix.name}*.png")))
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("key", ["receipt", "job_fair", "packet"])
def test_qr_code_decodes_to_the_verify_url(samples, key, tmp_path):
    path = samples["approved"][key]
    payloads = _qr_payloads(path, tmp_path)
    verify = [p for p in payloads if urlparse(p).path == "/verify"]
    # the receipt's second QR code opens 办件查询 (domain.md §1.3), with the same number and code
    assert len(verify) == 1 and len(payloads) == (2 if key == "receipt" else 1), payloads
    if key == "receipt":
        (track,) = [p for p in payloads if urlparse(p).path == "/track"]
        assert parse_qs(urlparse(track).query) == parse_qs(urlparse(verify[0]).query)
    url = urlparse(verify[0])
    assert (url.scheme, url.netloc, url.path) == ("http", "127.0.0.1:4300", "/verify")
    query = parse_qs(url.query)
    text = _flat(path)
    assert query["no"][0] in text and f"核验码{query['code'][0]}" in text


def test_every_official_notice_carries_its_verification_qr_code(samples, tmp_path):
    """The tax office checks the incentive's notice, the bank the loan's: every 通知书/告知书 has a QR
    code beside its seal that opens /verify with its own number and code; a loopback address is
    printed as 示例地址 (the served stack refuses a bureau's seal under it: tests/test_seal.py)."""
    official = {k for k, kind in kinds().items() if kind.official}
    seen = set()
    for case, docs in samples.items():
        for key, path in docs.items():
            if key not in official:
                continue
            verify = [p for p in _qr_payloads(path, tmp_path, page=-1) if urlparse(p).path == "/verify"]
            assert len(verify) == 1, (case, key)
            query = parse_qs(urlparse(verify[0]).query)
            text = _flat(path)
            assert query["no"][0] in text and f"核验码{query['code'][0]}" in text, (case, key)
            assert "127.0.0.1:4300/verify（示例地址）" in text, (case, key)
            seen.add(key)
    assert {"completion", "materials_notice", "incentive_approval", "loan_approval", "refusal-education",
            "rejection-employer_incentive"} <= seen, seen


# ---------------------------------------------------------------- 电子印章 (issue 22)

# what the applicant fills in and signs by hand: the bureau does not seal it
UNSEALED = {"form", "job_push", "incentive_form", "loan_form"}


def _trust() -> Path:
    from onematter.documents import seal
    return seal.seal_dir() / seal.TRUST_FILE


def _nss(tmp_path: Path) -> str:
    """An NSS database trusting the seal's root, for poppler's pdfsig (certutil, libnss3-tools)."""
    db = tmp_path / "nss"
    db.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{db}", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{db}", "-n", "onematter-seal-root", "-t", "CT,C,C", "-a",
                    "-i", str(_trust())], check=True, capture_output=True)
    return f"sql:{db}"


def _pdfsig(nss: str, path: Path) -> str:
    return subprocess.run(["pdfsig", "-nssdir", nss, str(path)], capture_output=True, text=True).stdout


def _one_byte_changed(path: Path, tmp_path: Path) -> Path:
    """A copy with one byte of the signed content changed (the producer's name, in the first revision)."""
    data = bytearray(path.read_bytes())
    at = data.index(b"WeasyPrint") + 9
    data[at] = ord("T")
    out = tmp_path / f"changed-{path.name}"
    out.write_bytes(bytes(data))
    return out


def test_every_document_the_bureau_issues_is_sealed_and_validates(samples):
    """pyHanko's validation against the seal's root: intact, trusted, covering the whole file, the
    seal's certificate the signer; the applicant's forms are not sealed."""
    from onematter.documents import seal
    sealed = 0
    for case, docs in samples.items():
        for key, path in docs.items():
            found = seal.check(path.read_bytes())
            if key in UNSEALED:
                assert found == {"signed": False}, (case, key)
                continue
            assert found["signed"] and found["intact"] and found["trusted"] and found["whole"], (case, key, found)
            assert "电子印章（示例）" in found["signer"] and found["signed_at"], (case, key)
            sealed += 1
    assert sealed >= 30


def test_the_seal_sits_over_the_issuer_and_the_date(samples):
    """The visible signature (its widget) lies in the seal area of the notice's last page: over the
    issuer's name and the date, at the right."""
    from pypdf import PdfReader as Reader
    path = samples["refused"]["refusal-education"]
    reader = Reader(path)
    widgets = [(i, a.get_object()) for i, page in enumerate(reader.pages) for a in page.get("/Annots") or []
               if a.get_object().get("/FT") == "/Sig" or a.get_object().get("/Parent", {}).get("/FT") == "/Sig"]
    assert len(widgets) == 1
    index, widget = widgets[0]
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    width = float(reader.pages[index].mediabox.width)
    assert index == len(reader.pages) - 1
    assert abs((x2 - x1) - 40 / 25.4 * 72) < 2 and x1 > width / 2          # 40 mm, in the right half
    height = float(reader.pages[index].mediabox.height)
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", str(index + 1), "-l", str(index + 1), str(path), "-"],
                           capture_output=True, text=True, check=True).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]+)</word>', boxes)
    date = [(float(a), height - float(d), float(c), height - float(b)) for a, b, c, d, t in words
            if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", t)]
    issuer = [(float(a), height - float(d), float(c), height - float(b)) for a, b, c, d, t in words
              if t == "平湖市退役军人事务局"]
    assert date and issuer, words[-10:]
    for wx1, wy1, wx2, wy2 in (date[-1], issuer[-1]):    # centred under the seal, within its height
        assert abs((wx1 + wx2) / 2 - (x1 + x2) / 2) < 3 and y1 <= wy1 and wy2 <= y2, ((wx1, wy1, wx2, wy2),
                                                                                     (x1, y1, x2, y2))
    assert date[-1][1] - y1 < (y2 - y1) / 2            # the date in the seal's lower half


def test_pdfsig_agrees_and_one_changed_byte_breaks_the_seal(samples, tmp_path):
    """poppler's pdfsig (a validator that is not ours), with the demo root trusted in an NSS
    database: every sealed document valid and trusted; one byte changed: invalid for pdfsig and
    for pyHanko."""
    from onematter.documents import seal
    nss = _nss(tmp_path)
    for case, docs in samples.items():
        for key, path in docs.items():
            if key in UNSEALED:
                continue
            out = _pdfsig(nss, path)
            assert "Signature is Valid." in out and "Certificate is Trusted." in out, (case, key, out)
            assert "Total document signed" in out, (case, key)
    for key in ("receipt", "refusal-education", "packet"):
        changed = _one_byte_changed(samples["refused"][key], tmp_path)
        out = _pdfsig(nss, changed)
        assert "Signature is Valid." not in out and ("Invalid" in out or "Mismatch" in out), (key, out)
        assert seal.check(changed.read_bytes())["intact"] is False, key


def test_a_timestamp_from_the_tsa_makes_it_pades_b_t(tmp_path, monkeypatch, env):
    """ONEMATTER_TSA_URL set: the signature carries an RFC 3161 timestamp from that authority (a
    small responder started here, on loopback), and validates with it."""
    from onematter.config.settings import get_settings
    from onematter.documents import render as docs, seal
    with tsa_responder(tmp_path) as url:
        monkeypatch.setenv("ONEMATTER_TSA_URL", url)
        get_settings.cache_clear()
        html_dir = tmp_path / "t"
        html_dir.mkdir()
        (html_dir / "t.html").write_text("<html><body><h1>告知书</h1><div id='seal-area'>平湖市退役军人事务局</div></body></html>",
                                         encoding="utf-8")
        monkeypatch.setenv("ONEMATTER_TEMPLATES_DIR", str(html_dir))
        get_settings.cache_clear()
        rendered = docs.render("t.html", {"doc": {"title": "告知书"}}, sealed=True)
    found = seal.check(rendered.pdf, seal.current().trust + (tsa_root(tmp_path),))
    assert rendered.sealed and found["intact"] and found["timestamped"], found
    assert b"/ETSI.RFC3161" not in rendered.pdf      # a signature timestamp (B-T), not a document timestamp


def tsa_root(tmp_path: Path):
    from asn1crypto import x509 as x509_
    return x509_.Certificate.load((tmp_path / "tsa-root.der").read_bytes())


class tsa_responder:
    """An RFC 3161 responder on loopback: pyHanko's DummyTimeStamper behind http.server, with a
    TSA certificate (timeStamping, critical) under a root of its own."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path

    def __enter__(self) -> str:
        import datetime as dt
        import http.server
        import threading

        from asn1crypto import keys as keys_, tsp, x509 as x509_
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        now = dt.datetime.now(dt.timezone.utc)
        # pyHanko's dummy responder signs with RSA only
        root_key, key = ec.generate_private_key(ec.SECP256R1()), rsa.generate_private_key(65537, 2048)
        root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test TSA root")])
        root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
                .public_key(root_key.public_key()).serial_number(1)
                .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(root_key, hashes.SHA256()))
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test TSA")]))
                .issuer_name(root_name).public_key(key.public_key()).serial_number(2)
                .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
                .sign(root_key, hashes.SHA256()))
        (self.tmp_path / "tsa-root.der").write_bytes(root.public_bytes(serialization.Encoding.DER))
        stamper = DummyTimeStamper(
            x509_.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            keys_.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption())))
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/tsa"

    def __exit__(self, *exc):
        self.server.shutdown()
        assert self.requests >= 1


def _page_lines(path: Path, page: int) -> list[str]:
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def test_the_seal_never_stands_on_a_page_without_the_bodys_last_lines(samples):
    """The issuer, the date and the seal are on the same page as the last lines of the body (a
    sealed page with nothing above the seal could be detached and reused), and no page holds only
    what follows the body (抄送, the footer)."""
    for case, docs in samples.items():
        for key, path in docs.items():
            if key in UNSEALED or key.startswith("packet"):
                continue
            pages = len(PdfReader(path).pages)
            for page in range(1, pages + 1):
                lines = _page_lines(path, page)[1:]             # without the running header
                issuer = [i for i, line in enumerate(lines) if line.endswith("平湖市退役军人事务局")]
                if page == pages:
                    assert issuer, (case, key, lines)
                    assert issuer[-1] >= 2, (case, key, "the seal without the body's last lines", lines[:6])
                body = [line for line in lines if not line.startswith(("文书编号", "核验真伪", "申请编号", "抄送"))]
                assert len(body) >= 3, (case, key, page, lines)


def test_a_partly_refused_application_promises_only_what_was_accepted(samples):
    """The refused sample: its receipt and packet promise the latest date of the accepted matters
    (not the refused ones'), say everything accepted was settled at once instead of promising a
    later 统一出件, refer to each 不予受理告知书 by its 文号, and the packet names each notice's matter."""
    receipt = _flat(samples["refused"]["receipt"])
    accepted = re.search(r"已受理事项序号申请事项承诺办结日期(.*?)不予受理事项", receipt).group(1)
    dates = [tuple(map(int, d)) for d in re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", accepted)]
    latest = "{}年{}月{}日".format(*max(dates))
    assert f"承诺办结日期{latest}按工作日计算；已受理事项均已当场办结" in receipt, receipt
    assert "全部事项办结后统一出件" not in receipt
    refused = re.search(r"不予受理事项(.*?)承诺办结日期", receipt).group(1)
    assert len(WENHAO.findall(refused)) == 3 and "文书编号" not in refused, refused
    packet = _flat(samples["refused"]["packet"])
    assert f"承诺办结日期{latest}" in packet
    assert "不予受理告知书（学历教育提升）" in packet and "不予受理告知书（退役军人创业担保贷款及贴息）" in packet
    completion = _flat(samples["refused"]["completion"])
    assert len(WENHAO.findall(completion.split("各事项的结果文书")[0])) >= 4     # its own and the three notices


def test_a_notice_to_the_enterprise_speaks_of_the_veteran_in_the_third_person(samples):
    """The refused officer's incentive notice goes to the enterprise: its facts name 该退役军人, never
    您; the copy line names his real category; no advice where nothing can cure the reason (an
    officer stays an officer), in his own education notice too; the approved notice still copies
    a 自主就业退役士兵 as one."""
    incentive = _flat(samples["refused"]["refusal-employer_incentive"])
    body = incentive.split("告知如下：")[1].split("平湖市退役军人事务局")[0]
    assert "该退役军人的退役类别为军官" in body and "您" not in body, body
    assert "抄送：陆建军（转业军官）" in incentive and "自主就业退役士兵）" not in incentive.split("抄送")[1]
    assert "、其他事项。" not in incentive and "可以这样做" not in incentive
    assert "申请“企业吸纳退役军人就业优惠政策申请”" not in incentive           # not 申请“…申请”
    education = _flat(samples["refused"]["refusal-education"])
    assert "您的退役类别为军官" in education and "取得相应学历" not in education and "、其他事项。" not in education
    overdue = _flat(samples["correction"]["refusal-education"])              # curable: it says how
    assert "其他事项。补齐上述材料后" in overdue
    approved = _flat(samples["approved"]["incentive_approval"])
    assert "（自主就业退役士兵）" in approved.split("抄送")[1]


def test_no_table_breaks_a_word_or_a_phone_number(samples):
    """The review found 请咨询服务中/心, 全额贴/息 and 不予受/理 broken across lines in table cells:
    a phone number, those phrases, and the results in the completion notice's table stay whole."""
    whole = {"0573-85000000", "全额贴息"}
    for case, docs in samples.items():
        for key, path in docs.items():
            lines = [line.strip() for line in subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                                              text=True, check=True).stdout.splitlines()]
            joined = "".join(lines)
            for word in whole:
                assert joined.count(word) == sum(line.count(word) for line in lines), (case, key, word)
            # 请咨询 | 服务中心 may stand on two lines, never 请咨询服务中 | 心; a result in the completion
            # notice's table stands whole on its line
            assert not any(re.search(r"请咨询(服|服务|服务中)$", line) for line in lines), (case, key)
            if key == "completion":
                assert not any(re.search(r"^(予受理|受理|理|予确认|确认|认)$", line) for line in lines), (case, key)


def test_local_rules_are_cited_with_title_marks_and_their_number(samples):
    """Every local rule a document cites stands in 《》 with its 文号 (policy `local_rules`), the
    loan's with the articles for the 50万 cap and 全额贴息; 财税〔2019〕21号, which governs only
    incentives begun before 2023, is cited nowhere."""
    from onematter.policy import load_policy
    rules = load_policy().local_rules
    seen = set()
    for case, docs in samples.items():
        for key, path in docs.items():
            text = _flat(path)
            assert "财税〔2019〕21号" not in text, (case, key)
            for rule in rules.values():
                for at in [m.start() for m in re.finditer(re.escape(rule["title"]), text)]:
                    assert text[at - 1] == "《" and text[at + len(rule["title"])] == "》", (case, key, rule["title"])
                    assert text[at + len(rule["title"]) + 1:].startswith(f"（{rule['number']}）"), (case, key)
                    seen.add(rule["title"])
    assert "平湖市退役军人创业担保贷款贴息实施办法" in seen and len(seen) >= 4, seen
    loan = _flat(samples["approved"]["loan_approval"])
    assert "第六条（贷款额度最高50万元）、第九条（期限内全额贴息）" in loan


def test_the_form_names_what_its_codes_stand_for(samples):
    """The applicant signs what they read: the course, programme, fair and bank by name beside the
    codes, and no 政策版本 on the paper (it stays in the document's stored context)."""
    form = _flat(samples["approved"]["form"])
    for phrase in ("培训课程：汽车维修（示例）", "编号PX-QCWX-01", "报考专业：嘉兴职业技术学院（示例）机电一体化技术（大专）",
                   "招聘会：平湖市退役军人专场招聘会（示例），编号ZP-01", "合作银行：平湖农村商业银行（示例）当湖支行，代码YH-NS"):
        assert phrase in form, phrase
    assert not any("政策版本" in _flat(p) for case in samples.values() for p in case.values())


def test_no_cited_title_splits_across_pages_and_no_page_holds_only_signatures(samples):
    """A 《title》 opens and closes on one page; the loan form's signatures are not alone on its
    last page (with the footer only)."""
    for case, docs in samples.items():
        for key, path in docs.items():
            pages = len(PdfReader(path).pages)
            for page in range(1, pages + 1):
                text = "".join(_page_lines(path, page))
                assert text.count("《") == text.count("》"), (case, key, page)
    last = _page_lines(samples["approved"]["loan_form"], len(PdfReader(samples["approved"]["loan_form"]).pages))
    body = [line for line in last[1:] if not line.startswith(("文书编号", "核验真伪", "申请编号", "申请人签名", "日期"))]
    assert len(body) >= 2, last
