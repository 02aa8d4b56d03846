"""Japanese typesetting that the PDF engine does not do by itself.

``justify``: inter-character justification (両端揃え) and contextual punctuation spacing
(約物の詰め) for WeasyPrint. Everything else (ruby, emphasis dots, indents) is CSS, in
``templates/shared/_typeset.css``.
"""
