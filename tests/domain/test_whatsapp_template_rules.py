"""domain.whatsapp_templates: what a saved template may be, and how its parameters fill it in."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidRequest, InvalidTemplateParameters, TemplateUnsupported, UnknownTemplate
from chalicelib.domain.whatsapp_templates import Template, Templates, check_platform, check_templates

ORDER = Template("order_update", "en_US", "Hi {{1}}, your order {{2}} has shipped ({{1}}).")


def test_a_template_takes_as_many_parameters_as_its_highest_placeholder_and_fills_each_everywhere():
    assert ORDER.parameters == 2 and Template("hello", "ja", "こんにちは").parameters == 0
    assert ORDER.render(["Yui", "A-1"]) == "Hi Yui, your order A-1 has shipped (Yui)."
    assert Template("spaced", "en", "Hi {{ 1 }}").render(["Yui"]) == "Hi Yui"


@pytest.mark.parametrize("parameters, why", [
    (["Yui"], "takes 2 parameters, not 1"), (["Yui", "A-1", "x"], "not 3"), (["Yui", " "], "is blank"),
    (["Yui", "A-1\nB"], "no new line"), (["Yui", "A-1\tB"], "no tab"), (["Yui", "A     B"], "four spaces"),
    (["Yui", "x" * 1025], "over 1024"),
])
def test_parameters_whatsapp_would_refuse_are_refused_before_sending(parameters, why):
    with pytest.raises(InvalidTemplateParameters, match=why):
        ORDER.render(parameters)


@pytest.mark.parametrize("templates, why", [
    ([Template("Order", "en", "Hi")], "lower-case"),
    ([Template("order", "english", "Hi")], "language"),
    ([ORDER, ORDER], "listed twice"),
    ([Template("gap", "en", "{{1}} and {{3}}")], "none skipped"),
    ([Template("zero", "en", "{{0}}")], "none skipped"),
    ([Template("blank", "en", "  ")], "1 to 1024"),
    ([Template(f"t{n}", "en", "Hi") for n in range(101)], "at most 100"),
])
def test_a_list_meta_would_not_have_approved_is_refused_saying_which(templates, why):
    with pytest.raises(InvalidRequest, match=why) as refused:
        check_templates(templates)
    assert refused.value.code == "invalid_templates"


def test_the_same_name_in_two_languages_is_two_templates_found_by_both():
    saved = Templates((ORDER, Template("order_update", "ja", "{{1}}様、ご注文 {{2}} を発送しました。")))
    check_templates(list(saved.templates))
    assert saved.find("order_update", "ja").body.startswith("{{1}}様")
    with pytest.raises(UnknownTemplate):
        saved.find("order_update", "en")


def test_only_whatsapp_conversations_take_templates():
    check_platform("whatsapp")
    with pytest.raises(TemplateUnsupported):
        check_platform("messenger")
