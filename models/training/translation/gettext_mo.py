"""Read a compiled gettext catalog (.mo) into (msgid, msgstr) pairs.

.mo files hold only entries that msgfmt accepted: fuzzy entries are left out by msgfmt unless --use-fuzzy, and
an untranslated entry has an empty msgstr (dropped here). Context (msgctxt, joined by \\x04) is removed; for plural
entries (msgid\\0msgid_plural -> form0\\0form1...) the singular pair is kept.
"""
import struct


def read_mo(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) < 28:
        raise ValueError(f"{path}: too short for a .mo file ({len(data)} bytes)")
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0x950412DE:
        endian = "<"
    elif magic == 0xDE120495:
        endian = ">"
    else:
        raise ValueError(f"{path}: bad .mo magic {magic:#x} (expected 0x950412de)")
    _rev, n, orig_off, trans_off = struct.unpack(endian + "4I", data[4:20])
    pairs = []
    for i in range(n):
        olen, opos = struct.unpack(endian + "2I", data[orig_off + 8 * i: orig_off + 8 * i + 8])
        tlen, tpos = struct.unpack(endian + "2I", data[trans_off + 8 * i: trans_off + 8 * i + 8])
        msgid = data[opos: opos + olen]
        msgstr = data[tpos: tpos + tlen]
        if not msgid:  # the header entry
            continue
        try:
            en = msgid.decode("utf-8")
            zh = msgstr.decode("utf-8")
        except UnicodeDecodeError:
            continue
        en = en.split("\x04", 1)[-1].split("\x00", 1)[0]
        zh = zh.split("\x00", 1)[0]
        if en and zh:
            pairs.append((en, zh))
    return pairs
