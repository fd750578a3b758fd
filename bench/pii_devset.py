"""A labelled development set for the ``pii`` step, built from the real texts in ../shared/data.

Passages of real Chinese and English documents (eval/ jsonl texts, the gold texts of the html
extraction sets) get one to three sentences written in, each holding either personal data of one
kind (synthetic but valid: ID check digits and Luhn digits computed, public IPs only) or a
look-alike that must be left alone (order and tracking numbers, ISBNs, GB standards, unified
social credit codes, dates, versions, prices, stock and postal codes, checksum-failing numbers,
URLs with @, numbers in code, private and documentation IPs). Passages that already hold
anything number- or address-like (``@``, dotted quads, runs of 7+ digits, ``::``) are not used,
so the written-in spans are the only labels. Items are split into ``dev`` (tuned on) and
``test`` (reported) by a hash of their index. Seeded: the same seed gives the same set.

    .venv/bin/python bench/pii_devset.py --out /tmp/pii_devset.jsonl [--items 2400] [--seed 28]
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import ipaddress
import json
import os
import random
import re

from transforms.pii_checks import id_check_char, is_public_ip, luhn_ok

DATA = os.environ.get("SKYPILE_TEST_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
KINDS = ("email", "phone", "id_number", "bank_card", "ip")
_UNSAFE = re.compile(r"@|[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+|[0-9](?:[ -]?[0-9]){6,}|::|[0-9A-Fa-f]{2,4}:[0-9A-Fa-f]{1,4}:|\+[0-9]")


def _texts() -> dict[str, list[str]]:
    zh, en = [], []
    for path in sorted(glob.glob(os.path.join(DATA, "eval", "*", "*.jsonl"))):
        if "gsm8k" in path:
            continue
        with open(path, encoding="utf-8") as f:
            texts = [json.loads(line).get("text") or "" for line in f]
        (zh if os.path.basename(path).startswith("zh_") else en).extend(texts)
    for path in sorted(glob.glob(os.path.join(DATA, "html", "zh_content_extraction", "*", "cleaned.txt"))):
        with open(path, encoding="utf-8") as f:
            zh.append(f.read())
    with open(os.path.join(DATA, "html", "scrapinghub_aeb", "ground-truth.json"), encoding="utf-8") as f:
        en.extend(v["articleBody"] for _, v in sorted(json.load(f).items()))
    return {"zh": zh, "en": en}


def passages(texts: list[str], max_chars: int = 700) -> list[str]:
    """Runs of whole paragraphs up to ``max_chars``, none holding anything PII-shaped."""
    out = []
    for text in texts:
        paras = [p.strip() for p in text.split("\n") if len(p.strip()) >= 20]
        i = 0
        while i < len(paras):
            chunk = paras[i]
            while i + 1 < len(paras) and len(chunk) + len(paras[i + 1]) < max_chars:
                i += 1
                chunk += "\n" + paras[i]
            i += 1
            if 80 <= len(chunk) <= max_chars * 2 and not _UNSAFE.search(chunk):
                out.append(chunk)
    return out


# ---- personal data (valid values) ---------------------------------------------------------------
_SURNAMES = "zhang wang li liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo".split()
_GIVEN = "wei fang na min jing li qiang lei jun yang yong yan jie tao ming chao xiu hua hui".split()
_EN_NAMES = "james mary john linda robert susan michael karen david lisa anna peter emma noah olivia".split()
_MAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "gmail.com", "outlook.com", "yahoo.com",
                 "hotmail.com", "aliyun.com", "pku.edu.cn", "tsinghua.edu.cn", "mail.ustc.edu.cn", "stat.gov.cn"]
_MOBILE_PREFIXES = [*range(130, 140), 145, 147, 150, 151, 152, 153, 155, 156, 157, 158, 159, 166, 170, 171, 173,
                    175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199]
_AREAS = ["010", "020", "021", "022", "023", "024", "025", "027", "028", "029", "0311", "0351", "0371", "0431",
          "0451", "0512", "0531", "0532", "0571", "0574", "0591", "0592", "0731", "0755", "0757", "0769", "0871", "0898"]
_E164 = [("+44", [2, 4, 4]), ("+49", [2, 8]), ("+33", [1, 2, 2, 2, 2]), ("+81", [1, 4, 4]), ("+61", [1, 4, 4]),
         ("+852", [4, 4]), ("+886", [1, 4, 4]), ("+65", [4, 4]), ("+82", [2, 4, 4]), ("+91", [5, 5]), ("+7", [3, 3, 2, 2]),
         ("+34", [3, 3, 3]), ("+39", [2, 4, 4]), ("+31", [2, 3, 4]), ("+55", [2, 5, 4]), ("+60", [2, 4, 4])]
_REGIONS = ["110101", "110105", "110108", "120101", "130102", "140105", "210102", "220102", "230103", "310104",
            "310115", "320102", "320505", "330106", "340104", "350203", "360102", "370102", "410105", "420102",
            "430102", "440106", "440304", "450103", "460105", "500103", "510104", "520102", "530102", "610113",
            "620102", "630102", "640104", "650102"]
_CARD_PREFIXES = [("622202", 19), ("621700", 19), ("622848", 19), ("621483", 16), ("622588", 16), ("621226", 19),
                  ("623668", 19), ("625807", 16), ("628288", 17), ("621661", 18), ("4", 16), ("4", 16), ("51", 16),
                  ("55", 16), ("2221", 16), ("2720", 16), ("34", 15), ("37", 15), ("3528", 16), ("3589", 16),
                  ("6011", 16), ("65", 16), ("36", 14)]
_V6_PREFIXES = ["240e", "2408", "2409", "2400:cb00", "2001:4860", "2a00:1450", "2606:4700", "2a03:2880", "2620:0:ed0"]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _luhn_complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def gen_email(rng, lang):
    local = rng.choice([
        lambda: f"{rng.choice(_SURNAMES)}{rng.choice(_GIVEN)}{rng.randint(1, 9999)}",
        lambda: f"{rng.choice(_SURNAMES)}.{rng.choice(_GIVEN)}",
        lambda: str(rng.randint(10000, 3999999999)),  # QQ numbers
        lambda: f"{rng.choice(_EN_NAMES)}_{rng.choice(_SURNAMES)}",
        lambda: f"{rng.choice(_EN_NAMES)}.{rng.choice(_SURNAMES)}+{rng.choice(['news', 'work', 'shop'])}",
        lambda: f"1{rng.choice(_MOBILE_PREFIXES) % 100:02d}{_digits(rng, 8)}",  # a mobile number as local part
    ])()
    domain = rng.choice(_MAIL_DOMAINS + [f"{rng.choice(_SURNAMES)}{rng.choice(['tech', 'law', 'edu', 'bio'])}."
                                         f"{rng.choice(['com', 'cn', 'com.cn', 'org', 'net', 'io', 'de'])}"])
    addr = f"{local}@{domain}"
    return addr.upper() if rng.random() < 0.05 else addr


def gen_phone(rng, lang):
    kind = rng.choice(["mobile", "mobile", "landline", "us", "e164"] if lang == "zh" else
                      ["us", "us", "e164", "mobile", "landline"])
    if kind == "mobile":
        n = f"{rng.choice(_MOBILE_PREFIXES)}{_digits(rng, 8)}"
        body = rng.choice([n, n, f"{n[:3]} {n[3:7]} {n[7:]}", f"{n[:3]}-{n[3:7]}-{n[7:]}"])
        return rng.choice(["", "", "+86 ", "+86", "86-", "(+86) ", "（+86）", "0086 "]) + body
    if kind == "landline":
        area = rng.choice(_AREAS)
        local = str(rng.randint(2, 8)) + _digits(rng, 7 if len(area) == 3 else rng.choice([6, 7]))
        ext = rng.choice(["", "", "", f"-{rng.randint(100, 8999)}", f"转{rng.randint(100, 8999)}"])
        spaced = f"{local[:-4]} {local[-4:]}"
        return rng.choice([f"{area}-{local}", f"{area}-{local}", f"({area}){local}", f"（{area}）{local}",
                           f"{area} {spaced}", f"+86 {area[1:]} {spaced}", f"+86-{area[1:]}-{local}"]) + ext
    if kind == "us":
        a = f"{rng.randint(2, 9)}{rng.randint(0, 8)}{rng.randint(0, 9)}"
        if a[1:] == "11":
            a = a[0] + "23"
        e, s = f"{rng.randint(2, 9)}{_digits(rng, 2)}", _digits(rng, 4)
        return rng.choice([f"({a}) {e}-{s}", f"{a}-{e}-{s}", f"{a}.{e}.{s}", f"+1 {a}-{e}-{s}", f"+1 ({a}) {e}-{s}",
                           f"1-{a}-{e}-{s}", f"+1 {a} {e} {s}"])
    code, groups = rng.choice(_E164)
    parts = [str(rng.randint(1, 9)) + _digits(rng, groups[0] - 1)] + [_digits(rng, g) for g in groups[1:]]
    return code + " " + rng.choice([" ", "-"]).join(parts)


def _id_body(rng) -> str:
    year = rng.randint(1940, 2012)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    return f"{rng.choice(_REGIONS)}{year}{month:02d}{day:02d}{_digits(rng, 3)}"


def gen_id_number(rng, lang):
    body = _id_body(rng)
    n = body + id_check_char(body)
    if n.endswith("X") and rng.random() < 0.3:
        n = n[:-1] + "x"
    return f"{n[:6]} {n[6:14]} {n[14:]}" if rng.random() < 0.1 else n


def _card(rng) -> str:
    prefix, length = rng.choice(_CARD_PREFIXES)
    return _luhn_complete(prefix + _digits(rng, length - len(prefix) - 1))


def _group_card(rng, n: str) -> str:
    if len(n) == 15:
        return rng.choice([n, f"{n[:4]} {n[4:10]} {n[10:]}", f"{n[:4]}-{n[4:10]}-{n[10:]}"])
    sep = rng.choice(["", "", " ", "-"])
    return sep.join(n[i:i + 4] for i in range(0, len(n), 4)) if sep else n


def gen_bank_card(rng, lang):
    return _group_card(rng, _card(rng))


def gen_ip(rng, lang):
    if rng.random() < 0.75:
        while True:
            ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
            if is_public_ip(ip) and any(len(p) > 1 for p in ip.split(".")):
                return ip
    prefix = rng.choice(_V6_PREFIXES)
    groups = prefix.split(":") + [f"{rng.randint(0, 0xffff):x}" for _ in range(8 - len(prefix.split(":")))]
    if rng.random() < 0.5:
        groups[3:6] = ["0", "0", "0"]
    return ipaddress.IPv6Address(":".join(groups)).compressed


GENERATORS = {"email": gen_email, "phone": gen_phone, "id_number": gen_id_number, "bank_card": gen_bank_card,
              "ip": gen_ip}

POSITIVE_TEMPLATES = {
    "zh": {
        "email": ["如有疑问，请发送邮件至{v}。", "联系邮箱：{v}", "投稿邮箱{v}，来稿请注明姓名和电话。", "作者邮箱：{v}（通讯作者）",
                  "简历请投递至{v}，邮件标题注明应聘岗位。"],
        "phone": ["咨询电话：{v}。", "联系人：王先生，电话{v}", "报名请致电{v}联系张老师。", "手机{v}（微信同号）",
                  "如发现问题请拨打举报电话{v}", "李女士{v}"],
        "id_number": ["身份证号：{v}", "申请人张某某，公民身份号码{v}，住址略。", "被告人刘某，身份证号码{v}。", "身份证{v}"],
        "bank_card": ["收款账号：{v}，开户行：中国工商银行。", "银行卡号{v}", "请汇款至{v}（户名：李某）。", "卡号：{v}"],
        "ip": ["服务器IP：{v}", "该帖发自{v}。", "用户登录IP地址为{v}，请核实。", "来自{v}的访问被拦截"],
    },
    "en": {
        "email": ["For more information, email {v}.", "Contact: {v}", "Send your resume to {v} by Friday.",
                  "Questions can be sent to {v} or left below."],
        "phone": ["Call us at {v}.", "Phone: {v}", "For reservations call {v} or visit our office.",
                  "Reach the press office on {v} during business hours."],
        "id_number": ["His Chinese ID card number was {v}.", "Resident ID: {v}", "She gave her ID {v} at the desk."],
        "bank_card": ["Card number: {v}", "The payment was charged to card {v} on Monday.", "Pay with {v} and the CVV."],
        "ip": ["The attack came from {v}.", "Server address: {v}", "The user logged in from IP {v} twice."],
    },
}


# ---- look-alikes (never personal data) ----------------------------------------------------------
def _date(rng) -> tuple[int, int, int]:
    return rng.randint(2005, 2024), rng.randint(1, 12), rng.randint(1, 28)


def _isbn13(rng) -> str:
    body = "9787" + _digits(rng, 8)
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
    n = body + str(check)
    return rng.choice([n, f"{n[:3]}-{n[3]}-{n[4:7]}-{n[7:12]}-{n[12]}"])


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _uscc(rng) -> str:
    """A unified social credit code with its GB 32100-2015 check character."""
    org = "".join(rng.choice(_USCC_CHARS if rng.random() < 0.3 else "0123456789") for _ in range(9))
    body = rng.choice(["91", "92", "12", "52", "11"]) + rng.choice(_REGIONS) + org
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


def _bad_id(rng) -> str:
    body = _id_body(rng)
    good = id_check_char(body)
    return body + rng.choice([c for c in "0123456789X" if c != good])


def _bad_card(rng) -> str:
    n = _card(rng)
    return _group_card(rng, n[:-1] + rng.choice([d for d in "0123456789" if d != n[-1]]))


def _private_ip(rng) -> str:
    return rng.choice([f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}", f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                       f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}", "127.0.0.1",
                       f"203.0.113.{rng.randint(1, 254)}", f"198.51.100.{rng.randint(1, 254)}", f"192.0.2.{rng.randint(1, 254)}",
                       f"2001:db8::{rng.randint(1, 0xffff):x}", f"fe80::{rng.randint(1, 0xffff):x}", "::1",
                       f"169.254.{rng.randint(0, 255)}.{rng.randint(1, 254)}", f"100.{rng.randint(64, 127)}.{rng.randint(0, 255)}.1"])


def _mobile(rng) -> str:
    return f"{rng.choice(_MOBILE_PREFIXES)}{_digits(rng, 8)}"


NEGATIVES = {  # category -> (zh templates, en templates, value generator)
    "order_number": (["订单号：{v}", "您的订单{v}已发货。", "订单编号 {v}"], ["Order #{v} has shipped.", "order number {v}"],
                     lambda r: rng_choice(r, [lambda: "%04d%02d%02d" % _date(r) + _digits(r, r.randint(10, 13)),
                                              lambda: str(r.randint(1, 4)) + _digits(r, r.randint(17, 18)),
                                              lambda: f"{r.randint(100, 999)}-{_digits(r, 7)}-{_digits(r, 7)}"])),
    "tracking_number": (["运单号：{v}", "快递单号{v}，请注意查收。", "物流单号 {v}"], ["Tracking number: {v}", "tracking no. {v}"],
                        lambda r: rng_choice(r, [lambda: "SF" + _digits(r, 12), lambda: "YT" + _digits(r, 13),
                                                 lambda: "JDX" + _digits(r, 12), lambda: "EA" + _digits(r, 9) + "CN",
                                                 lambda: "1Z" + _digits(r, 3) + "AA" + _digits(r, 11),
                                                 lambda: "7" + _digits(r, r.randint(11, 14))])),
    "phone_inside_number": (["流水{v}", "编码{v}已作废。"], ["reference {v}"],
                            lambda r: "%04d%02d%02d" % _date(r) + _mobile(r) + _digits(r, r.randint(0, 3))),
    "isbn": (["ISBN {v}，定价58元。", "书号ISBN{v}"], ["ISBN {v}", "(ISBN: {v})"], _isbn13),
    "gb_standard": (["依据GB/T {v}执行。", "符合GB {v}的要求"], ["conforms to GB/T {v}"],
                    lambda r: f"{r.randint(1000, 50999)}-{r.randint(1995, 2023)}"),
    "uscc": (["统一社会信用代码：{v}", "某某科技有限公司（{v}）"], ["credit code {v}"], _uscc),
    "date_time": (["{v}发布", "时间：{v}"], ["Posted {v}", "updated on {v}"],
                  lambda r: rng_choice(r, [lambda: "%04d-%02d-%02d %02d:%02d:%02d" % (*_date(r), r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)),
                                           lambda: "%04d%02d%02d" % _date(r), lambda: "%02d/%02d/%04d" % _date(r)[::-1],
                                           lambda: "%04d-%02d-%02dT%02d:%02d:00+08:00" % (*_date(r), r.randint(0, 23), r.randint(0, 59)),
                                           lambda: str(r.randint(1300000000, 1700000000)) + _digits(r, r.choice([0, 3]))])),
    "version": (["已升级至{v}版本。", "版本号：{v}"], ["version {v}", "Chrome {v}"],
                lambda r: rng_choice(r, [lambda: f"{r.randint(1, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}.{r.randint(0, 9)}",
                                         lambda: f"{r.randint(10, 130)}.0.{r.randint(1000, 6999)}.{r.randint(10, 250)}",
                                         lambda: f"v{r.randint(1, 5)}.{r.randint(0, 30)}.{r.randint(0, 99)}"])),
    "section_number": (["详见第{v}条。"], ["see section {v}"],
                       lambda r: ".".join(str(r.randint(1, 9)) for _ in range(4))),
    "price": (["售价{v}元", "合同金额{v}元。"], ["priced at ${v}", "a total of ${v}"],
              lambda r: rng_choice(r, [lambda: f"{r.randint(1, 999)},{_digits(r, 3)},{_digits(r, 3)}.{_digits(r, 2)}",
                                       lambda: f"{r.randint(1, 99999)}.{_digits(r, 2)}", lambda: f"{r.randint(1, 999)},{_digits(r, 3)}"])),
    "stock_code": (["股票代码：{v}", "贵州茅台（{v}）"], ["({v})"],
                   lambda r: rng_choice(r, [lambda: f"{r.choice(['600', '601', '000', '002', '300'])}{_digits(r, 3)}.{r.choice(['SH', 'SZ'])}",
                                            lambda: f"0{_digits(r, 4)}.HK", lambda: f"NASDAQ: {r.choice(['AAPL', 'MSFT', 'BIDU'])}"])),
    "postal_code": (["邮编：{v}", "邮政编码{v}"], ["ZIP {v}"],
                    lambda r: rng_choice(r, [lambda: str(r.randint(100000, 850000)), lambda: f"{_digits(r, 5)}-{_digits(r, 4)}"])),
    "bad_id": (["身份证号：{v}", "身份证{v}"], ["ID number {v}"], _bad_id),
    "bad_card": (["银行卡号{v}", "卡号：{v}"], ["card number {v}"], _bad_card),
    "bad_phone": (["电话{v}"], ["call {v}"],
                  lambda r: rng_choice(r, [lambda: "12" + _digits(r, 9), lambda: "10" + _digits(r, 9),
                                           lambda: f"123-{r.randint(200, 999)}-{_digits(r, 4)}"])),
    "url_with_at": (["原文链接：{v}"], ["Read it at {v}"],
                    lambda r: rng_choice(r, [lambda: f"https://medium.com/@{r.choice(_EN_NAMES)}.{r.choice(_SURNAMES)}/post-{_digits(r, 6)}",
                                             lambda: f"https://www.google.com/maps/@{r.randint(20, 45)}.{_digits(r, 4)},{r.randint(100, 125)}.{_digits(r, 4)},12z",
                                             lambda: f"https://www.tiktok.com/@{r.choice(_SURNAMES)}{r.randint(1, 99)}/video/{_digits(r, 19)}",
                                             lambda: f"https://example.com/{r.choice(_SURNAMES)}.{r.choice(_GIVEN)}@{r.choice(['163.com', 'gmail.com'])}/profile"])),
    "file_at": (["图片{v}加载失败"], ["missing image {v}"],
                lambda r: f"{r.choice(['icon', 'logo', 'banner', 'avatar'])}@{r.randint(2, 3)}x.{r.choice(['png', 'jpg', 'webp'])}"),
    "number_in_code": (["示例代码：\n{v}\n"], ["For example:\n{v}\n"],
                       lambda r: rng_choice(r, [lambda: f"`check({_mobile(r)})`", lambda: f"const CARD = {_card(r)};",
                                                lambda: f"x = {_mobile(r)}", lambda: f"```\nid = \"{gen_id_number(r, 'zh')}\"\n```",
                                                lambda: f"assert luhn(\"{_card(r)}\")"])),
    "number_in_url": (["详见{v}"], ["see {v}"],
                      lambda r: f"https://www.example.cn/item/{r.choice([_mobile(r), _card(r)])}.html"),
    "private_ip": (["内网地址{v}", "网关：{v}"], ["local address {v}", "gateway {v}"], _private_ip),
}


def rng_choice(rng: random.Random, makers):
    return rng.choice(makers)()


def _insert(rng: random.Random, passage: str, lang: str, sentences: list[tuple[str, str, bool]]):
    """Write each (template, value, label, is_pii) into the passage at a sentence end;
    returns the text and its spans ``[start, end, label, is_pii]``."""
    ends = [m.end() for m in re.finditer(r"[。！？]|[.!?](?= )|\n", passage)] or [len(passage)]
    cuts = sorted(rng.choice(ends) for _ in sentences)
    text, spans, pos = "", [], 0
    for cut, (template, value, label, is_pii) in zip(cuts, sentences):
        text += passage[pos:cut] + ("" if lang == "zh" else " ")
        start = len(text) + template.index("{v}")
        spans.append([start, start + len(value), label, is_pii])
        text += template.replace("{v}", value)
        # A value ending the sentence runs into what follows only when that is Han text (电话13812345678联系).
        glued = lang == "zh" and not (template.endswith("{v}") and re.match(r"[0-9A-Za-z]", passage[cut:cut + 1]))
        text += "" if glued else ("，" if lang == "zh" else " ")
        pos = cut
    return text + passage[pos:], spans


def build(n_items: int = 2400, seed: int = 28) -> list[dict]:
    rng = random.Random(seed)
    pools = {lang: passages(texts) for lang, texts in _texts().items()}
    items = []
    for i in range(n_items):
        lang = "zh" if i % 3 else "en"  # two Chinese items for each English one
        passage = rng.choice(pools[lang])
        sentences = []
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.5:
                kind = KINDS[rng.randrange(len(KINDS))]
                value = GENERATORS[kind](rng, lang)
                sentences.append((rng.choice(POSITIVE_TEMPLATES[lang][kind]), value, kind, True))
            else:
                category = rng.choice(sorted(NEGATIVES))
                zh_t, en_t, make = NEGATIVES[category]
                sentences.append((rng.choice(zh_t if lang == "zh" else en_t), make(rng), category, False))
        text, spans = _insert(rng, passage, lang, sentences)
        split = "test" if hashlib.sha1(f"{seed}:{i}".encode()).digest()[0] % 2 else "dev"
        items.append({"id": f"pii-{i:05d}", "split": split, "lang": lang, "text": text, "spans": spans})
    return items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--items", type=int, default=2400)
    ap.add_argument("--seed", type=int, default=28)
    args = ap.parse_args()
    items = build(args.items, args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"{len(items)} items -> {args.out}")


if __name__ == "__main__":
    main()
