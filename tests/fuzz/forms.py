"""Read the forms of a rendered page: where they post to and their fields' names, kinds,
offered values (options, checkbox and button values) and pre-filled values."""
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

CSRF_FIELD = "csrf_token"


@dataclass
class FieldSpec:
    """What a page lets a person send under one name."""

    kind: str  # text, textarea, select, checkbox, radio, hidden, password, submit, …
    options: set[str] = field(default_factory=set)
    defaults: set[str] = field(default_factory=set)
    multiple: bool = False

    def merge(self, other: "FieldSpec") -> None:
        self.options |= other.options
        self.defaults |= other.defaults
        self.multiple = self.multiple or other.multiple


@dataclass
class FormSpec:
    """A form found on a page: method, action path and fields by name (CSRF token aside)."""

    method: str
    action: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)

    def add(self, name: str, spec: FieldSpec) -> None:
        if name == CSRF_FIELD:
            return
        if name in self.fields:
            self.fields[name].merge(spec)
            if spec.kind == "checkbox":
                self.fields[name].multiple = True
        else:
            self.fields[name] = spec


class _FormParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[FormSpec] = []
        self._form: FormSpec | None = None
        self._select: tuple[str, FieldSpec] | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._option: list[str] | None = None
        self._option_value: str | None = None
        self._option_selected = False

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page_url, a.get("action") or self.page_url))
            self._form = FormSpec(a.get("method", "get").upper(),
                                  action.path + (f"?{action.query}" if action.query else ""))
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            if tag == "option" and self._select is not None:
                self._option, self._option_value = [], a.get("value")
                self._option_selected = "selected" in a
        elif tag in ("input", "button"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            spec = FieldSpec(kind)
            if kind in ("checkbox", "radio", "submit"):
                spec.options.add(value)
                if "checked" in a:
                    spec.defaults.add(value)
            elif value:
                spec.defaults.add(value)
            self._form.add(a["name"], spec)
        elif tag == "select":
            spec = FieldSpec("select", multiple="multiple" in a)
            self._select = (a["name"], spec)
            self._form.add(a["name"], spec)
        elif tag == "textarea":
            self._textarea = (a["name"], [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None:
            self._option.append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value = self._option_value if self._option_value is not None else \
                "".join(self._option).strip()
            self._select[1].options.add(value)
            if self._option_selected:
                self._select[1].defaults.add(value)
            self._option = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, parts = self._textarea
            spec = FieldSpec("textarea")
            text = "".join(parts).lstrip("\n")
            if text:
                spec.defaults.add(text)
            self._form.add(name, spec)
            self._textarea = None


def parse_forms(html: str, page_url: str) -> list[FormSpec]:
    """Return the forms of html (a page at page_url), with their action paths resolved."""
    parser = _FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms
