"""The DOCX without what a letter never uses, since it travels with every email.

python-docx's template brings 164 styles and Word's list of 137 latent ones (350 KB of XML, half
of the compressed file), numbering for list styles, a thumbnail, Word 2010's duplicate of the
styles and a bibliography item. Kept: the default styles, every style a part refers to, and what
those are based on or linked to.
"""

from __future__ import annotations

import posixpath
import re

STYLES_PART = "word/styles.xml"
NUMBERING_PART = "word/numbering.xml"
_NEVER_USED = {"docProps/thumbnail.jpeg", "word/stylesWithEffects.xml"}
_STYLE_REFERENCE = re.compile(
    rb'<w:(?:pStyle|rStyle|tblStyle|numStyleLink|styleLink) w:val="([^"]+)"'
)
_STYLE_CHAIN = re.compile(rb'<w:(?:basedOn|next|link) w:val="([^"]+)"')
_STYLE = re.compile(rb'<w:style [^>]*?w:styleId="([^"]+)"[^>]*?(?:/>|>.*?</w:style>)', re.DOTALL)
_LATENT_STYLES = re.compile(rb"<w:latentStyles\b.*?</w:latentStyles>", re.DOTALL)
_RELATIONSHIP = re.compile(rb'<Relationship [^>]*Target="([^"]+)"[^>]*/>')
_OVERRIDE = re.compile(rb'<Override PartName="/([^"]+)"[^>]*/>')


def slimmed(parts: dict[str, bytes], document_xml: str) -> dict[str, bytes]:
    """The package's parts (but the document's, given as ``document_xml``) without what the
    document never uses, and without the links to what was dropped; in the same order."""
    parts = dict(parts)
    dropped = set(_NEVER_USED)
    dropped |= {name for name in parts if name.startswith("customXml/")}
    content = [document_xml.encode("utf-8")] + [
        data
        for name, data in parts.items()
        if name.startswith("word/")
        and name.endswith(".xml")
        and name not in (STYLES_PART, NUMBERING_PART, *dropped)
    ]
    styles = parts.get(STYLES_PART)
    if styles is not None:
        parts[STYLES_PART], uses_numbering = _used_styles(styles, content)
        if not uses_numbering:
            dropped.add(NUMBERING_PART)
    for name in dropped:
        parts.pop(name, None)
    for rels, base in (("_rels/.rels", ""), ("word/_rels/document.xml.rels", "word/")):
        if rels in parts:
            parts[rels] = _without_links(parts[rels], base, dropped)
    parts["[Content_Types].xml"] = _OVERRIDE.sub(
        lambda m: b"" if m.group(1).decode() in dropped else m.group(0),
        parts["[Content_Types].xml"],
    )
    return parts


def _used_styles(styles: bytes, content: list[bytes]) -> tuple[bytes, bool]:
    """The styles part with the styles ``content`` uses (and the defaults, and what they are
    based on or linked to), without latent styles; and whether any of it uses numbering."""
    wanted = {m for data in content for m in _STYLE_REFERENCE.findall(data)}
    found = {m.group(1): m.group(0) for m in _STYLE.finditer(styles)}
    defaults = {sid for sid, xml in found.items() if b'w:default="1"' in xml[: xml.index(b">")]}
    wanted |= defaults
    queue = list(wanted)
    while queue:
        for linked in _STYLE_CHAIN.findall(found.get(queue.pop(), b"")):
            if linked not in wanted:
                wanted.add(linked)
                queue.append(linked)
    kept = [xml for sid, xml in found.items() if sid in wanted]
    head = styles[: styles.index(b"<w:style ")] if found else styles
    head = _LATENT_STYLES.sub(b"", head)
    uses_numbering = any(b"<w:numPr" in data for data in [*content, *kept])
    return head + b"".join(kept) + b"</w:styles>", uses_numbering


def _without_links(rels: bytes, base: str, dropped: set[str]) -> bytes:
    """A relationships part without the links to dropped parts (targets are relative to
    ``base``)."""

    def keep(link: re.Match[bytes]) -> bytes:
        target = posixpath.normpath(base + link.group(1).decode())
        return b"" if target in dropped else link.group(0)

    return _RELATIONSHIP.sub(keep, rels)
