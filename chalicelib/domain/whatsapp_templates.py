"""WhatsApp message templates (Chatwoot's and Zendesk's WhatsApp templates): WhatsApp lets a business write to a
customer only within 24 hours of the customer's last message (domain.reply_windows); after that only a template Meta
approved may be sent. Managers copy the approved ones here (name, language, body text: Meta approves them in WhatsApp
Manager, this API does not create them), and whoever may answer a WhatsApp conversation sends one, its parameters
filled in, whether or not the 24 hours have passed.

Body templates with numbered text parameters (`{{1}}`..`{{n}}`) only: headers with media, buttons and named
parameters are left to WhatsApp Manager's own tools.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidRequest, InvalidTemplateParameters, TemplateUnsupported, UnknownTemplate

PLATFORM = "whatsapp"
INVALID = "invalid_templates"  # a list a static schema cannot refuse: a name twice, a placeholder skipped
MAX_TEMPLATES = 100
MAX_BODY_CHARS = 1_024  # Meta's limit on a template's body
MAX_PARAMETER_CHARS = 1_024
NAME = re.compile(r"^[a-z0-9_]{1,512}$")  # as Meta names them: lower case, digits and underscores
LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")  # en, en_US, ja, pt_BR
_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
# what Meta refuses in a text parameter: a new line or a tab, more than four spaces in a row
_REFUSED_IN_PARAMETER = re.compile(r"[\n\r\t]| {5,}")


@dataclass(frozen=True)
class Template:
    name: str
    language: str
    body: str

    @property
    def parameters(self) -> int:
        """How many parameters it takes (its placeholders are `{{1}}`..`{{n}}`)."""
        return max((int(n) for n in _PLACEHOLDER.findall(self.body)), default=0)

    def render(self, parameters: list[str]) -> str:
        """The words the customer reads: the body with each `{{n}}` replaced by the n-th parameter."""
        check_parameters(self, parameters)
        return _PLACEHOLDER.sub(lambda found: parameters[int(found.group(1)) - 1], self.body)


@dataclass(frozen=True)
class Templates:
    templates: tuple[Template, ...] = ()
    updated_by: str | None = None
    updated_at: str | None = None
    rev: int = 0  # 0: never saved

    def find(self, name: str, language: str) -> Template:
        for template in self.templates:
            if (template.name, template.language) == (name, language):
                return template
        raise UnknownTemplate(f"no WhatsApp template {name!r} in {language!r} is saved (GET /whatsapp-templates)")


def check_templates(templates: list[Template]) -> None:
    """What a manager may save: each template named and written as Meta takes it, its placeholders `{{1}}`..`{{n}}`
    with none skipped, each name and language once."""
    if len(templates) > MAX_TEMPLATES:
        raise InvalidRequest(f"at most {MAX_TEMPLATES} templates", code=INVALID)
    seen: set[tuple[str, str]] = set()
    for template in templates:
        which = f"template {template.name!r} ({template.language})"
        if not NAME.fullmatch(template.name):
            raise InvalidRequest(f"{which}: a name is lower-case letters, digits and underscores, as in WhatsApp Manager", code=INVALID)
        if not LANGUAGE.fullmatch(template.language):
            raise InvalidRequest(f"{which}: a language is a code such as en, en_US or ja", code=INVALID)
        if (template.name, template.language) in seen:
            raise InvalidRequest(f"{which} is listed twice", code=INVALID)
        seen.add((template.name, template.language))
        if not template.body.strip() or len(template.body) > MAX_BODY_CHARS:
            raise InvalidRequest(f"{which}: its body is 1 to {MAX_BODY_CHARS} characters", code=INVALID)
        used = {int(n) for n in _PLACEHOLDER.findall(template.body)}
        if used != set(range(1, len(used) + 1)):
            raise InvalidRequest(f"{which}: its parameters are {{{{1}}}} to {{{{n}}}}, none skipped "
                                 f"(it has {', '.join(f'{{{{{n}}}}}' for n in sorted(used))})", code=INVALID)


def check_parameters(template: Template, parameters: list[str]) -> None:
    which = f"template {template.name!r} ({template.language})"
    if len(parameters) != template.parameters:
        raise InvalidTemplateParameters(f"{which} takes {template.parameters} parameters, not {len(parameters)}")
    for n, value in enumerate(parameters, start=1):
        if not value.strip():
            raise InvalidTemplateParameters(f"{which}: parameter {{{{{n}}}}} is blank")
        if len(value) > MAX_PARAMETER_CHARS:
            raise InvalidTemplateParameters(f"{which}: parameter {{{{{n}}}}} is over {MAX_PARAMETER_CHARS} characters")
        if _REFUSED_IN_PARAMETER.search(value):
            raise InvalidTemplateParameters(f"{which}: parameter {{{{{n}}}}} may hold no new line, no tab and no more "
                                            "than four spaces in a row (WhatsApp refuses them)")


def check_platform(platform: str) -> None:
    if platform != PLATFORM:
        raise TemplateUnsupported(f"templates are WhatsApp's: this is a {platform} conversation (reply to it instead)")

