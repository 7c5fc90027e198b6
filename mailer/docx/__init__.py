"""The official letter as DOCX, laid out after GOST R 7.0.97-2025, and read back for `check`.

- letter: DocxLetter, built once per run and filled per recipient;
- skeleton: the letter laid out with python-docx, markers where each recipient's parts go;
- slimming: the package without the template's unused styles and parts;
- package: the ZIP, written with fixed timestamps, a recipient's part added to the rest;
- readback: a built document's text and paragraphs.

The page itself (A4, margins, fonts, numbering) is mailer.layout's, shared with the справка.
python-docx is the top-level ``docx``; this package is always ``mailer.docx``.
"""

from mailer.docx.letter import FROM_SETTINGS, DocxLetter, FromSettings
from mailer.docx.readback import read_docx_text

__all__ = ["FROM_SETTINGS", "DocxLetter", "FromSettings", "read_docx_text"]
