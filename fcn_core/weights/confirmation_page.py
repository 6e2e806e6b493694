"""Find where a download-confirmation page leads, as a browser would when its button is pressed.

Google Drive answers a request for a large file (every pytorch-fcn release) with a web page
("can't scan this file for viruses … Download anyway") instead of the file. Since 2024 that page
holds ``<form id="download-form" action="https://drive.usercontent.google.com/download"
method="get">`` with hidden inputs (``id``, ``export``, ``confirm``, ``uuid``); a browser submits
it as a GET with those fields as the query. Before, it held a link ``<a id="uc-download-link"
href="/uc?export=download&confirm=TOKEN&id=…">`` whose token matched a ``download_warning``
cookie. Both are understood here; the cookies are the caller's (one cookie jar per download).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

DOWNLOAD_FORM_ID = "download-form"
DOWNLOAD_LINK_ID = "uc-download-link"


@dataclass
class _Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)


class _ConfirmationParser(HTMLParser):
    """Collects the download form (action, method, named inputs) and the download link."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.form: _Form | None = None
        self.link: str | None = None
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and values.get("id") == DOWNLOAD_FORM_ID and self.form is None:
            self.form = _Form(values.get("action", ""), values.get("method", "get").lower())
            self._in_form = True
        elif tag == "input" and self._in_form and self.form is not None and values.get("name"):
            if values.get("type", "text").lower() not in ("submit", "button", "image", "reset"):
                self.form.fields.append((values["name"], values.get("value", "")))
        elif tag == "a" and values.get("id") == DOWNLOAD_LINK_ID and values.get("href"):
            self.link = values["href"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


def confirmation_url(page: str, page_url: str) -> str | None:
    """The URL that pressing the page's download button opens, or None when the page has none
    (then it is some other web page: a login, an error, a quota notice)."""
    parser = _ConfirmationParser()
    parser.feed(page)
    parser.close()
    form = parser.form
    if form is not None and form.method == "get":
        action = urlsplit(urljoin(page_url, form.action or page_url))
        return urlunsplit(action._replace(query=urlencode(form.fields), fragment=""))
    if parser.link is not None:
        return urljoin(page_url, parser.link)
    return None
