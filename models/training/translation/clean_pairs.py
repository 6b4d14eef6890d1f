"""Normalise and filter candidate (English, Chinese) pairs. Each rule returns the reason a pair is dropped, so the
counts per reason can be reported."""
import re

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ASCII_LETTER = re.compile(r"[A-Za-z]")
EN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
DIGITS = re.compile(r"\d+")
# printf (%s, %d, %1$s, %ld, %'d), Qt/KDE (%1), .NET/TypeScript ({0}), Python ({name}, %(name)s), shell ($HOME, ${x})
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?\d*\$?[-+#0']*\d*(?:\.\d+)?(?:hh|h|ll|l|L|z|j|t)?[sdiuxXfFeEgGcpo%]|%\d+|\{\w*\}|\$\{?\w+\}?")
# gettext accelerators. Chinese catalogs append the key in brackets: "文件(_F)", "打开(&O)", "保存(~S)".
ZH_ACCEL = re.compile(r"\s*[(（][_&~][A-Za-z0-9][)）]")
# In English the marker precedes the letter at a word start ("_File", "&Open", "Save ~As"); "&&" is a literal &,
# HTML entities (&lt;) and identifiers with underscores (file_name) are left alone.
EN_ACCEL = re.compile(r"(?<![\w&])[_~](?=[A-Za-z0-9])|(?<![\w&])&(?=[A-Za-z0-9])(?![A-Za-z]+;|#\d+;)")

MIN_HAN_PER_WORD = 0.3
MAX_HAN_PER_WORD = 3.0
MAX_CHARS = 400  # either side; longer blocks exceed the model's 128 tokens anyway


def strip_accelerators(en, zh):
    zh2 = ZH_ACCEL.sub("", zh)
    if zh2 != zh or EN_ACCEL.search(en):
        en = EN_ACCEL.sub("", en)
        # a Chinese string that kept the marker inline ("_文件") loses it the same way
        zh2 = re.sub(r"(?<![\w&])[_~&](?=[\u4e00-\u9fffA-Za-z0-9])(?![A-Za-z]+;)", "", zh2)
    return en, zh2


def normalise(en, zh):
    en = " ".join(en.replace("\\n", " ").split())
    zh = " ".join(zh.replace("\\n", " ").split())
    en, zh = strip_accelerators(en, zh)
    return en.strip(), zh.strip()


def reject_reason(en, zh):
    """None when the pair is kept, else a short reason."""
    if not en or not zh:
        return "empty"
    if en == zh:
        return "untranslated"
    if len(en) > MAX_CHARS or len(zh) > MAX_CHARS:
        return "too long"
    han = len(HAN.findall(zh))
    letters = len(ASCII_LETTER.findall(zh))
    if han == 0 or letters > 3 * han:
        return "chinese side mostly ascii"
    if HAN.search(en):
        return "han in english side"
    words = len(EN_WORD.findall(en))
    if words == 0:
        return "no english word"
    # short UI strings translate into up to ~4 characters per word ("Uninstaller" -> "卸载程序"): allow +2
    if han < MIN_HAN_PER_WORD * words or han > MAX_HAN_PER_WORD * words + 2:
        return "length ratio"
    if sorted(DIGITS.findall(en)) != sorted(DIGITS.findall(zh)):
        return "numbers differ"
    if sorted(PLACEHOLDER.findall(en)) != sorted(PLACEHOLDER.findall(zh)):
        return "placeholders differ"
    return None
