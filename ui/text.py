"""Showing what members typed as plain text, never as Markdown or HTML.

Most user text goes through st.text, which parses nothing. These helpers are for
the few places where user text sits inside Markdown (a bold subject, a label).
"""

from __future__ import annotations

import re

# Streamlit renders every string through Markdown. Its own escaping hook is not
# public, so this escapes the characters Markdown gives meaning to (HTML is not
# rendered by Streamlit unless asked, but "<" is escaped too so it shows as typed).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Escape ``text`` so Markdown shows it exactly as typed.

    >>> plain("**not bold** <b>")
    '\\\\*\\\\*not bold\\\\*\\\\* \\\\<b\\\\>'
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # Keep the writer's line breaks: Markdown would join single newlines.
    return escaped.replace("\n", "  \n")


def preview(text: str, length: int = 160) -> str:
    """The first words of a message on one line, for the timeline."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[: length - 1].rsplit(" ", 1)[0].rstrip(" .,;:!?") + "…"


def shown_of(
    first: int, shown: int, total: int, noun: str = "", nouns: str = ""
) -> str:
    """Which rows of a paged list are on screen: '21–25 of 25', '1 of 1 candidate'.

    ``noun`` and ``nouns`` name one and many (left out when empty).

    >>> shown_of(21, 5, 25, "candidate", "candidates")
    '21–25 of 25 candidates'
    >>> shown_of(1, 1, 1, "candidate", "candidates")
    '1 of 1 candidate'
    """
    rows = str(first) if shown == 1 else f"{first}–{first + shown - 1}"
    named = (noun if total == 1 else nouns) if nouns else ""
    return f"{rows} of {total:,} {named}".rstrip()
