"""Attachments the URL did not announce: CMS download endpoints recognised by their answer.

``/attachment.do?id=123``, ``/DFS//file/2026/11/03/…`` or ``getFile?fileId=…`` look like pages until
they answer: the ``Content-Disposition`` file name (GBK or RFC 5987), the ``Content-Type`` or the
bytes themselves say it is a file. The format table is :mod:`govinspect.formats` (shared with the
inspectors, which read the files).
"""

from __future__ import annotations

from scrapy.http import Response

from govinspect import formats
from govinspect.registry import Site
from govinspect.vocabulary import ATTACHMENT, Attachment, Link, Page, RunContext

HTML_TYPES = (b"text/html", b"application/xhtml")


def is_html(response: Response) -> bool:
    content_type = response.headers.get(b"Content-Type", b"text/html").lower()
    return any(t in content_type for t in HTML_TYPES)


def _header(response: Response, name: bytes) -> str:
    return (response.headers.get(name) or b"").decode("latin-1")


def served_file(response: Response) -> formats.Format | None:
    """The format of a non-page answer (or one the server says to save), from every signal."""
    disposition = _header(response, b"Content-Disposition")
    if is_html(response) and "attachment" not in disposition.lower():
        return None
    return formats.detect(response.url, _header(response, b"Content-Type"), disposition, response.body or None)


def announced_file(response: Response) -> formats.Format | None:
    """For a link check's answer (headers only): do the headers announce a file, and which format?

    Returns the format when known, ``formats.UNKNOWN`` when the headers say "a file" but not which.
    """
    content_type = _header(response, b"Content-Type")
    disposition = _header(response, b"Content-Disposition")
    if not formats.is_attachment_response(response.url, content_type, disposition):
        return None
    return formats.detect(response.url, content_type, disposition) or formats.UNKNOWN


def attachment_from(response: Response, site: Site, run: RunContext, referer: str | None,
                    link_text: str | None) -> Attachment:
    return Attachment(
        url=response.url, site=site, body=response.body,
        content_type=_header(response, b"Content-Type"), referer=referer or site.url,
        link_text=link_text or "", truncated="partial" in response.flags, run=run,
        disposition=_header(response, b"Content-Disposition"),
    )


def endpoint_link(url: str, fmt: formats.Format, link_text: str | None, site: Site, run: RunContext,
                  referer: str | None) -> tuple[Link, Page]:
    """The link and a minimal referring page to ask the inspectors whether they want the file.

    The referring page itself is long gone (checks run later); inspectors choose attachments by the
    link and the page's site and run, which is what this carries.
    """
    link = Link(url=url, tag="a", text=link_text or "", kind=ATTACHMENT,
                format="" if fmt is formats.UNKNOWN else fmt.name)
    page = Page(url=referer or site.url, site=site, status=200, headers={}, text="", tree=None,  # type: ignore[arg-type]
                links=[link], run=run)
    return link, page
