"""Choosing the text encoding of a file from its first bytes.

Order matters: a byte-order mark is decisive, valid UTF-8 is always UTF-8, and only then do we
guess among legacy code pages.
"""

import codecs

import charset_normalizer

_BOMS: tuple[tuple[bytes, str], ...] = (
    # The UTF-32 LE mark begins with the UTF-16 LE one, so it must be tried first.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# What Western European text decoded as cp1252 is made of, beyond ASCII.
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝßàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿŒœŠšŽžŸ"
    "\xa0\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2026\u2022€£¥¢©®°±·«»§¶\xd7÷¡¿ªº"
)
_MAX_ACCENTED_SHARE = 0.3


def bom_encoding(head: bytes) -> str | None:
    """The codec a byte-order mark announces, or None."""
    return next((name for bom, name in _BOMS if head.startswith(bom)), None)


def bomless_utf16(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' for UTF-16 text written without a byte-order mark, told
    by its zero bytes: in text of Latin script every other byte is 0. None otherwise (other
    scripts in UTF-16 without a mark are not told apart from binary data)."""
    sample = head[:4096]
    sample = sample[: len(sample) // 2 * 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, others, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.9 * len(zeros) and others.count(0) <= 0.05 * len(others):
            try:  # incremental: the sample may end inside a character of two units
                codecs.getincrementaldecoder(codec)().decode(sample, final=False)
            except UnicodeDecodeError:
                return None
            return codec
    return None


def guess_encoding(head: bytes) -> str:
    """The Python codec name to read the file with."""
    if announced := bom_encoding(head):
        return announced
    if _is_utf8(head):
        return "utf-8"
    if _reads_as_western(head):
        return "cp1252"
    best = charset_normalizer.from_bytes(head).best()
    # Latin-1 decodes every byte: the last resort that still lets the reader run.
    return codecs.lookup(best.encoding).name if best else "latin-1"


def decode_head(head: bytes, encoding: str) -> str:
    """Decode a sample; final=False because the head may stop inside a multi-byte character."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(head, final=False)


def _is_utf8(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _reads_as_western(head: bytes) -> bool:
    """True when `head` is plausibly Western European text in cp1252.

    On short samples charset-normalizer ties cp1252 with cp1250/cp1257 and may pick one that
    turns "déjà" into "déjŕ", so the commonest legacy case is recognised first: every non-ASCII
    character is a Western letter or punctuation mark, and accented letters are a minority.
    Cyrillic or Greek bytes also decode to Latin letters, but to whole words of them.
    """
    try:
        text = head.decode("cp1252")
    except UnicodeDecodeError:
        return False
    beyond_ascii = [char for char in text if ord(char) > 127]
    if not all(char in _WESTERN for char in beyond_ascii):
        return False
    accented = sum(char.isalpha() for char in beyond_ascii)
    return accented <= _MAX_ACCENTED_SHARE * sum(char.isalpha() for char in text)
