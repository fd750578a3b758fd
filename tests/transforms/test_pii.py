"""Personal data redaction: each kind and each look-alike, in Chinese and English."""
from __future__ import annotations

import pyarrow as pa
import pytest

from transforms.document import Document
from transforms.pii import KINDS, PII, Match, find_pii, redact
from transforms.pii_checks import id_check_char, is_bank_card, is_public_ip, is_resident_id, luhn_ok

# Valid values: GB 11643's own example ID (check character X), computed IDs, the networks' test cards.
ID_BJ = "11010519491231002X"
ID_SZ = "440304198511183022"
UNIONPAY_19 = "6222021234567890128"
UNIONPAY_16 = "6228480012345671"

POSITIVES = [
    # (text, redacted text): e-mail
    ("如有疑问请发邮件至zhang.san@163.com，我们会尽快回复。", "如有疑问请发邮件至<EMAIL>，我们会尽快回复。"),
    ("QQ邮箱：12345678@qq.com", "QQ邮箱：<EMAIL>"),
    ("Write to Jane.Doe+news@mail.example.co.uk.", "Write to <EMAIL>."),
    ("mailto:press@nytimes.com", "mailto:<EMAIL>"),
    # phone: CN mobile in text without spaces, with +86 / 86 / (+86), 3-4-4 grouping
    ("电话13812345678联系", "电话<PHONE>联系"),
    ("手机：+86 138 1234 5678，", "手机：<PHONE>，"),
    ("请拨打（+86）139-0000-1234咨询", "请拨打<PHONE>咨询"),
    ("联系人王先生8615912345678。", "联系人王先生<PHONE>。"),
    ("手机号13912345678/15012345678均可", "手机号<PHONE>/<PHONE>均可"),
    # CN landlines with area code, extension
    ("客服电话：010-62345678", "客服电话：<PHONE>"),
    ("深圳总部（0755）86013388转8001", "深圳总部<PHONE>"),
    ("上海 021-6212 3456，传真 +86 21 6212 3457", "上海 <PHONE>，传真 <PHONE>"),
    # US/CA and E.164
    ("Call (415) 555-0132 or +1 415-555-0132 today.", "Call <PHONE> or <PHONE> today."),
    ("Toll free: 1-800-555-0199.", "Toll free: <PHONE>."),
    ("London office +44 20 7946 0958, Tokyo +81 3-1234-5678.", "London office <PHONE>, Tokyo <PHONE>."),
    # PRC resident ID numbers (18 characters, valid date and check digit)
    (f"身份证号{ID_BJ}，", "身份证号<ID_NUMBER>，"),
    (f"ID number {ID_SZ.lower()}.", "ID number <ID_NUMBER>."),
    # bank cards: UnionPay 62 (16-19 digits), Visa/Mastercard/Amex, grouped or not
    (f"银行卡号{UNIONPAY_19}，开户行", "银行卡号<BANK_CARD>，开户行"),
    ("卡号：6228 4800 1234 5671", "卡号：<BANK_CARD>"),
    ("card 4111 1111 1111 1111 exp 12/25", "card <BANK_CARD> exp 12/25"),
    ("Amex 3782-822463-10005 or 5555555555554444.", "Amex <BANK_CARD> or <BANK_CARD>."),
    # public IPs, IPv4 and IPv6, also inside URLs (as datatrove)
    ("服务器地址93.184.216.34，端口8080", "服务器地址<IP>，端口8080"),
    ("see http://93.184.216.34:8080/admin", "see http://<IP>:8080/admin"),
    ("IPv6 2400:cb00:2048:1::c629:d7a2.", "IPv6 <IP>."),
]

NEGATIVES = [
    # order and tracking numbers
    "订单号：202312061381234567890",
    "订单编号 1381234567890123",
    "运单号：SF1381234567890，快递单号 773123456789012",
    "Tracking number: 1Z999AA10123456784; order #4111111111111111",
    "202312061381234567890",
    # ISBNs, GB standards, unified social credit codes
    "ISBN 978-7-111-54742-6，ISBN 9787111547426",
    "ISBN 0-306-40615-2",
    "依据GB/T 7714-2015和GB 18030-2005执行",
    "统一社会信用代码：91110000600037341L",
    "统一社会信用代码911101081011234567",
    # dates, times, versions, prices, stock codes, postal codes
    "2023-12-06 10:30:45，2023年12月6日，20231206，12/06/2023",
    "时间戳1701849600123",
    "Python 3.11.4, Chrome 120.0.6099.109, Windows 10.0.19045.3693",
    "version 4.10.2.1, 版本号：2.3.1.45",
    "见第5.2.1.3条",
    "售价¥1,380.00，总额138,123,456.78元",
    "the price was $1,381,234,567",
    "贵州茅台（600519.SH）、平安银行000001.SZ、腾讯00700.HK",
    "邮编100080；ZIP 94105-1234",
    # checksum-failing numbers
    "身份证号11010519491231002Y",
    "身份证号110105194912310021",  # wrong check digit
    "卡号6222021234567890129",  # Luhn fails
    "card 4111 1111 1111 1112",
    "号码123-456-7890",  # NANP area codes never start with 1
    "电话12345678901",  # not a CN mobile prefix
    # URLs with @, file names
    "https://medium.com/@alice.smith/my-post-123",
    "https://www.google.com/maps/@39.9042,116.4074,12z",
    "icon@2x.png and logo@3x.jpg",
    "Please contact support@foo.example.com or admin@example.org; ssh@host.test",
    # numbers inside code and URLs
    "x = 4111111111111111;",
    "const SEED = 13812345678;",
    "运行 `phone_check(13812345678)` 即可",
    "```\nid = '11010519491231002X'\n```",
    "https://example.com/item/13812345678.html",
    # private, loopback, documentation and reserved IPs, non-IPs
    "192.168.1.1, 10.0.0.8, 127.0.0.1, 169.254.1.1, 203.0.113.5, 198.51.100.7, 240.0.0.1, 224.0.0.1",
    "2001:db8::1, ::1, fe80::1, 10:30:45, 00:1A:2B:3C:4D:5E",
    "| SQLite | 3.36.10.0 | 3.37.04.0 |; route 8.8.4.0/24 and 93.184.216.0/22",
]


@pytest.mark.parametrize("text,expected", POSITIVES)
def test_each_kind_is_replaced_by_its_placeholder(text, expected):
    assert redact(text, find_pii(text)) == expected


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alikes_are_left_alone(text):
    assert find_pii(text) == []


@pytest.mark.parametrize("text", ["rated +1 by readers", "+1", "votes: +1, +12 and +1-2"])
def test_a_bare_plus_one_is_not_a_phone_and_does_not_crash(text):
    # A two-character "+1" match once raised IndexError in the E.164 check (kit page, grow_corpus).
    assert find_pii(text) == []


def test_exact_spans_and_kinds_in_chinese_without_spaces():
    text = f"张先生电话13812345678邮箱zs@163.com身份证{ID_BJ}卡号{UNIONPAY_16}。"
    assert find_pii(text) == [Match(5, 16, "phone"), Match(18, 28, "email"), Match(31, 49, "id_number"),
                              Match(51, 67, "bank_card")]


def test_code_spans_pair_runs_of_backticks():
    """reST's ``double`` backticks: the prose between two literals is not code."""
    text = "``frozendict`` was charged to card 4111111111111111 on Monday. ``x = 13812345678``"
    assert find_pii(text) == [Match(35, 51, "bank_card")]


def test_an_e_mail_with_a_phone_number_as_local_part_is_one_e_mail():
    assert find_pii("13812345678@139.com") == [Match(0, 19, "email")]


def test_kinds_can_be_chosen():
    text = "zs@163.com 13812345678"
    assert [m.kind for m in find_pii(text, ["phone"])] == ["phone"]
    assert find_pii(text, []) == []


def test_check_digits():
    assert id_check_char("11010519491231002") == "X" and is_resident_id(ID_BJ) and is_resident_id(ID_SZ)
    assert not is_resident_id("110105194902301234")  # 30 February
    assert not is_resident_id("990105194912310025")  # no such region
    assert luhn_ok("4111111111111111") and luhn_ok("79927398713") and not luhn_ok("79927398710")
    assert is_bank_card(UNIONPAY_19) and is_bank_card("378282246310005")
    assert not is_bank_card("4111111111111111111")  # Visa is not issued with 19 digits here
    assert is_public_ip("8.8.8.8") and is_public_ip("2606:4700::1111")
    assert not any(is_public_ip(ip) for ip in ("192.0.2.1", "100.64.0.1", "::1", "2001:db8::", "ff02::1", "x"))


def _step(**kinds):
    counts: dict[str, int] = {}
    step = PII(**kinds)
    step.bind_counter(lambda name, n: counts.__setitem__(name, counts.get(name, 0) + n))
    return step, counts


def test_step_redacts_counts_per_kind_and_adds_the_column():
    step, counts = _step()
    text = (f"联系电话：010-62345678，手机13812345678，邮箱zs@163.com。身份证{ID_BJ}，卡号{UNIONPAY_19}。"
            "Server 93.184.216.34. 订单号：202312061381234567890")
    out = step.process(Document(id="a", text=text, extra={"kept": 1}))
    assert out.text == ("联系电话：<PHONE>，手机<PHONE>，邮箱<EMAIL>。身份证<ID_NUMBER>，卡号<BANK_CARD>。"
                        "Server <IP>. 订单号：202312061381234567890")
    assert out.extra == {"kept": 1, "pii_redactions": 6}
    assert counts == {"redacted:phone": 2, "redacted:email": 1, "redacted:id_number": 1,
                      "redacted:bank_card": 1, "redacted:ip": 1, "documents_redacted": 1}
    clean = step.process(Document(id="b", text="今天天气很好。"))
    assert clean.text == "今天天气很好。" and clean.extra == {"pii_redactions": 0}
    assert counts["documents_redacted"] == 1  # a clean document counts nothing
    assert set(counts) == {f"redacted:{k}" for k in KINDS} | {"documents_redacted"}
    assert PII.columns == {"pii_redactions": pa.int32()}


def test_a_kind_switched_off_is_left_in_the_text():
    step, counts = _step(phone=False, ip=False)
    out = step.process(Document(id="a", text="手机13812345678，IP 93.184.216.34，邮箱zs@163.com"))
    assert out.text == "手机13812345678，IP 93.184.216.34，邮箱<EMAIL>"
    assert counts == {"redacted:email": 1, "documents_redacted": 1} and out.extra["pii_redactions"] == 1
    with pytest.raises(ValueError, match="pii: email must be true or false"):
        PII(email="yes")


def test_skypile_curate_redacts_the_shards_and_reports_the_counts(shared_data, tmp_path):
    """The default chain (models off for speed) on real articles with personal data written in."""
    import json

    import pyarrow.parquet as pq

    from pipelines import curate

    pages = sorted((shared_data / "html/zh_content_extraction").glob("*/cleaned.txt"))[:2]
    zh = [p.read_text(encoding="utf-8") for p in pages]
    with open(shared_data / "html/scrapinghub_aeb/ground-truth.json", encoding="utf-8") as f:
        en = [v["articleBody"] for _, v in sorted(json.load(f).items())][:1]
    written = {
        "zh-a": (zh[0], "如有疑问请联系王先生，电话13812345678，邮箱wangxs@163.com。",
                 "如有疑问请联系王先生，电话<PHONE>，邮箱<EMAIL>。"),
        "zh-b": (zh[1], f"申请人身份证号{ID_BJ}，收款账号{UNIONPAY_19}，登录IP为93.184.216.34。订单号：202312061381234567890。",
                 "申请人身份证号<ID_NUMBER>，收款账号<BANK_CARD>，登录IP为<IP>。订单号：202312061381234567890。"),
        "en-a": (en[0], " For details call (415) 555-0132 or write to jane.doe@mailbox.org.",
                 " For details call <PHONE> or write to <EMAIL>."),
    }
    source = tmp_path / "in.jsonl"
    with open(source, "w", encoding="utf-8") as f:
        for doc_id, (text, sentence, _) in written.items():
            cut = text.index("\n")  # at the end of the first paragraph
            f.write(json.dumps({"id": doc_id, "text": text[:cut] + sentence + text[cut:]}, ensure_ascii=False) + "\n")
    out = tmp_path / "out"
    report = curate.run(["--input", str(source), "--output", str(out), "--disable", "score", "--disable", "score_filter"])
    rows = {r["id"]: r for path in sorted(out.glob("data/*/*.parquet")) for r in pq.read_table(path).to_pylist()}
    assert sorted(rows) == sorted(written)
    for doc_id, (_, _, redacted) in written.items():
        assert redacted in rows[doc_id]["text"], doc_id
    assert {k: r["pii_redactions"] for k, r in rows.items()} == {"zh-a": 2, "zh-b": 3, "en-a": 2}
    saved = json.loads((out / "report.json").read_text(encoding="utf-8"))
    expected = {"email": 2, "phone": 2, "id_number": 1, "bank_card": 1, "ip": 1}
    assert report["redacted"] == saved["redacted"] == expected and saved["redacted_documents"] == 3
    assert "| `id_number` | `<ID_NUMBER>` | 1 |" in (out / "report.md").read_text(encoding="utf-8")
