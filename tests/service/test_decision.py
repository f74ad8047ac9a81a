"""The interim policy: approve unless active content was stripped or nothing readable is left."""
import pytest

from moderation.decision import POLICY_VERSION, decide, has_visible_text
from moderation.formats import render

HTML = "<p>Hello</p>\n"

CLEAN = {"removed_tags": {"b": 1}, "removed_attributes": {"class": 2}, "unsafe_urls": {},
         "guard_acted": False, "active_content_removed": False}


def test_clean_report_is_approved_with_a_reason_and_the_policy_version():
    decision = decide(CLEAN, HTML)
    assert decision.status == "approved"
    assert [reason["code"] for reason in decision.reasons] == ["no_active_content"]
    assert decision.policy_version == POLICY_VERSION


def test_removed_script_tag_holds_the_comment():
    decision = decide({**CLEAN, "removed_tags": {"script": 2}, "active_content_removed": True}, HTML)
    assert decision.status == "pending"
    assert decision.reasons == [{"code": "active_tag_removed", "detail": "<script> removed (2x)"}]


def test_event_handlers_unsafe_urls_and_guard_are_each_a_reason():
    decision = decide({**CLEAN, "removed_attributes": {"onclick": 1, "class": 1},
                       "unsafe_urls": {"javascript": 1}, "guard_acted": True, "active_content_removed": True}, HTML)
    assert decision.status == "pending"
    assert [reason["code"] for reason in decision.reasons] == [
        "event_handler_removed", "unsafe_url_removed", "output_guard_acted"]


def test_the_report_flag_alone_is_enough_to_hold():
    decision = decide({**CLEAN, "active_content_removed": True}, HTML)
    assert decision.status == "pending"
    assert decision.reasons[0]["code"] == "active_content_removed"


@pytest.mark.parametrize("body", ["<a " * 6666, "<!--", "<!-- a comment -->" * 3, "<p></p><br>",
                                  "&nbsp; &#8203;", "\u200b\u200d\ufeff", "<em></em>"])
def test_a_comment_that_renders_to_nothing_readable_is_held_with_a_reason(body):
    rendered = render(body, "filtered_html")
    decision = decide(rendered.report.to_dict(), rendered.html)
    assert decision.status == "pending"
    assert "empty_after_render" in [reason["code"] for reason in decision.reasons]


@pytest.mark.parametrize("html, visible", [("<p>Hi</p>", True), ("<p>&lt;</p>", True), ("", False),
                                           ("<p> \n</p>\n<br />", False), ("<p><a href=\"x\">x</a></p>", True),
                                           ("<p>&nbsp;\u200b</p>", False), ("<p>é</p>", True)])
def test_visible_text(html, visible):
    assert has_visible_text(html) is visible
