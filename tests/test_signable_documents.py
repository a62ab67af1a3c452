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
        assert re.search(r"。平湖市退役军人事务局\d{4}年\d{1,2}月\d{1,2}日", text), (case, key)  # issuer, then the date
        assert WENHAO.search(text), (case, key)
        assert "行政复议" in text and "平湖市人民政府" in text and "60日内" in text, (case, key)
        assert "行政诉讼" in text and "有管辖权的人民法院" in text and "6个月内" in text, (case, key)
        assert "《" in text and "》" in text, (case, key)                 # the rule, cited by title
    education = _flat(samples["refused"]["refusal-education"])
    assert "您的退役类别为军官" in education and "选择其他课程" not in education
    incentive = _flat(samples["refused"]["refusal-employer_incentive"])
    assert "财税〔2019〕21号" in incentive and "选择其他课程或场次" not in incentive


def test_two_kinds_of_no_with_their_own_titles_and_addressees(samples):
    refused = _flat(samples["refused"]["refusal-employer_incentive"])
    rejected = _flat(samples["rejected"]["rejection-employer_incentive"])
    assert "不予受理告知书" in refused and "决定不予受理" in refused
    assert "审核不予确认通知书" in rejected and "不予受理" not in rejected and "经审核，不予确认" in rejected
    for text in (refused, rejected):
        assert text.index("平湖示例汽车零部件有限公司：") < text.index("抄送：")   # to the enterprise, copy to the veteran
        assert "抄送：陆建军（自主就业退役士兵）" in text
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
    assert "PHYJS-" in refused and "-12" in refused          # the pointer to its notice
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
    assert not WENHAO.search(_flat(samples["refused"]["receipt"]))
    numbers = {WENHAO.search(_flat(p)).group(0) for case in samples.values() for k, p in case.items()
               if k.startswith(("refusal-", "rejection-")) or k in ("completion", "incentive_approval")}
    count = sum(1 for case in samples.values() for k in case
                if k.startswith(("refusal-", "rejection-")) or k in ("completion", "incentive_approval"))
    assert len(numbers) == count                                       # one serial per notice


def _qr_payloads(path: Path, tmp: Path) -> list[str]:
    import zxingcpp
    from PIL import Image
    prefix = tmp / path.stem
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(path), str(prefix)], check=True)
    image = Image.open(next(tmp.glob(f"{path.stem}*.png")))
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
