"""Each rule of the policy on rendered comments: outcome, reason code and evidence."""
import dataclasses

import pytest

from moderation.formats import render
from moderation.policy import Policy, PolicyError, evaluate
from moderation.policy.rules.active_content import has_visible_text

BASE = {"languages": [], "classifier": {"provider": "none"}, "spam_model": {"enabled": False},
        "words": {"banned": ["fuck*", "bastard*", "cunt*"], "suspect": ["idiot*", "moron*"], "allow": []},
        "links": {"max": 2, "shorteners": ["bit.ly"], "banned_domains": ["casino.example"]}}


def policy(**changes):
    data = {**BASE, **changes}
    return Policy.from_dict(data, version="test-1")


def decide(body, the_policy=None, fmt="filtered_html", **context):
    rendered = render(body, fmt)
    return evaluate(the_policy or policy(), rendered.html, rendered.report.to_dict(), **context)


def codes(decision):
    return [finding.code for finding in decision.findings]


def test_a_clean_comment_is_approved_with_no_findings_and_the_policy_version():
    decision = decide("Thanks for the clear reporting on the tram budget. See you at the council meeting!")
    assert (decision.status, decision.findings, decision.policy_version) == ("approved", (), "test-1")


def test_a_banned_word_rejects_and_says_which_characters():
    decision = decide("You are a <em>b.a.s.t.a.r.d</em>, and a f&#117;cking one.")
    assert decision.status == "rejected" and codes(decision) == ["banned_word"]
    evidence = decision.findings[0].evidence
    assert [item.text for item in evidence] == ["b.a.s.t.a.r.d", "fucking"]
    assert all(item.note.startswith("banned: ") for item in evidence)


@pytest.mark.parametrize("body", [
    "The senator called them \u201cbastards\u201d on live TV.",
    "He said the minister was a 'lying bastard' and refused to apologise.",
    "<blockquote>You bastards will pay</blockquote>\nThis tweet should be reported.",
    "Er nannte sie Bastarde.",
])
def test_a_quoted_or_reported_banned_word_is_held_not_rejected(body):
    decision = decide(body)
    assert decision.status == "pending" and codes(decision) == ["banned_word_quoted"]


def test_a_suspect_word_holds():
    decision = decide("Only an idiot would believe this.")
    assert decision.status == "pending" and codes(decision) == ["suspect_word"]
    assert decision.findings[0].evidence[0].text == "idiot"


@pytest.mark.parametrize("body, code, outcome", [
    ("I will kill you.", "threat", "rejected"),
    ("I'm gonna k1ll you and your family", "threat", "rejected"),
    ("I know where you live, Sarah.", "veiled_threat", "pending"),
    ("I'll break every finger on your hands.", "threat", "rejected"),
    ("He deserves a bullet in the head.", "threat", "rejected"),
    ("Someone should shoot the mayor.", "threat", "rejected"),
    ("He deserves to die.", "threat", "rejected"),
    ("Je vais te buter.", "threat", "rejected"),
    ("Ich bring dich um.", "threat", "rejected"),
    ("Watch your back.", "veiled_threat", "pending"),
    ("You will regret this.", "veiled_threat", "pending"),
])
def test_threats(body, code, outcome):
    decision = decide(body)
    assert (decision.status, codes(decision)) == (outcome, [code])


@pytest.mark.parametrize("body", [
    "We will beat them on Saturday, mark my words.", "Kill the bill!", "The attacker was sentenced to 12 years.",
    "The bomb disposal team closed the street.", "I will find the time to read the report.",
    "That killer app changed everything.",
])
def test_news_about_violence_is_not_a_threat(body):
    assert decide(body).status == "approved", codes(decide(body))


def test_personal_data_holds():
    assert codes(decide("Her mobile is 07700 900123, call her.")) == ["phone_number"]
    assert codes(decide("He lives at 42 Acacia Avenue, go and tell him.")) == ["street_address", "personal_details"]
    assert codes(decide("Her kids go to St Anne's on Beech Road.")) == ["personal_details"]
    assert codes(decide("Mail him at john.smith@mailbox.example")) == ["email_address"]
    assert codes(decide("Mail lena1987@partner-paper.example")) == []  # an organisation's domain, no name
    assert codes(decide("Mail her: lena1987@gmail.com")) == ["email_address"]
    assert decide("Objections to highways@northfield-council.example by Friday").status == "approved"
    assert decide("Write to letters@paper.example or press@council.example").status == "approved"
    assert decide("Mail me at me@example.org", author_email="me@example.org").status == "approved"
    assert decide("Budget 2027-2028: 1,250,000 euros").status == "approved"


def test_links_rule():
    assert codes(decide("See https://a.example https://b.example https://c.example")) == ["too_many_links"]
    assert decide("See https://a.example and https://b.example").status == "approved"
    spam = decide("Win big at https://www.casino.example/bonus and https://bit.ly/x")
    assert spam.status == "spam" and codes(spam) == ["banned_domain", "link_shortener"]
    allowed = policy(links={**BASE["links"], "allowed_domains": ["gov.example"]})
    assert decide("https://a.gov.example https://b.gov.example https://gov.example/x", allowed).status == "approved"


def test_active_content_holds_or_is_spam_by_policy():
    held = decide('<img src=x onerror="alert(1)">Nice article <script>steal()</script>')
    assert held.status == "pending" and set(codes(held)) >= {"active_tag_removed"}
    spam = decide("<script>steal()</script>hello", policy(active_content={"outcome": "spam"}))
    assert spam.status == "spam"


@pytest.mark.parametrize("body", ["<a " * 6666, "<!--", "<!-- a comment -->" * 3, "<p></p><br>",
                                  "&nbsp; &#8203;", "\u200b\u200d\ufeff", "<em></em>"])
def test_a_comment_that_renders_to_nothing_readable_is_held(body):
    decision = decide(body)
    assert decision.status == "pending" and "empty_after_render" in codes(decision)


@pytest.mark.parametrize("html, visible", [("<p>Hi</p>", True), ("<p>&lt;</p>", True), ("", False),
                                           ("<p> \n</p>\n<br />", False), ("<p><a href=\"x\">x</a></p>", True),
                                           ("<p>&nbsp;\u200b</p>", False), ("<p>é</p>", True)])
def test_visible_text(html, visible):
    assert has_visible_text(html) is visible


def test_spam_phrases_without_links():
    assert decide("I make $85 an hour working from home part time, check my profile").status == "spam"
    assert decide("Message me on WhatsApp for details").status == "spam"
    assert decide("The parents run a WhatsApp group for the school run.").status == "approved"
    assert decide("Real results, check my profile.").status == "pending"


def test_modes_and_thread_overrides():
    assert codes(decide("Fine words.", policy(mode="pre"))) == ["premoderated"]
    assert decide("Fine words.", policy(mode="pre_links")).status == "approved"
    assert codes(decide("See https://a.example", policy(mode="pre_links"))) == ["links_premoderated"]
    sensitive = policy(threads={"trial-verdict": "pre", "old-story": "closed"})
    assert codes(decide("Fine words.", sensitive, thread="trial-verdict")) == ["thread_premoderated"]
    assert codes(decide("Fine words.", sensitive, thread="old-story")) == ["thread_closed"]
    assert decide("Fine words.", sensitive, thread="other").status == "approved"


def test_every_finding_is_kept_and_the_worst_outcome_wins():
    decision = decide("You idiot, buy at https://www.casino.example now. I will kill you.")
    assert decision.status == "spam"
    assert set(codes(decision)) == {"suspect_word", "threat", "banned_domain"}
    assert decision.reason_codes == ["banned_domain"]


@pytest.mark.parametrize("data, pointer", [
    ({"mode": "sometimes"}, "/mode"), ({"links": {"max": "two"}}, "/links/max"), ({"colour": "red"}, "/colour"),
    ({"words": {"banned": "x"}}, "/words/banned"), ({"classifier": {"threshold": 3}}, "/classifier/threshold"),
    ({"languages": ["xx"]}, "/languages"), ({"threads": {"t": "open"}}, "/threads/t"),
    ({"classifier": {"provider": "oracle"}}, "/classifier/provider"),
])
def test_a_wrong_policy_is_refused_with_a_pointer(data, pointer):
    with pytest.raises(PolicyError) as refused:
        Policy.from_dict({**BASE, **data})
    assert pointer in [error["pointer"] for error in refused.value.errors]


def test_a_policy_round_trips_through_its_dict():
    original = policy(mode="pre_links", threads={"a": "pre"})
    again = Policy.from_dict(original.to_dict(), version="test-1")
    assert again == original and dataclasses.replace(again, mode="pre").digest() != original.digest()


def test_banned_and_trusted_commenters():
    listed = policy(commenters={"banned": ["spammer@example.org", "@junk.example", "203.0.113.0/24", "2001:db8::/32"],
                                "trusted": ["editor@paper.example"]})
    assert codes(decide("Fine words.", listed, author_email="Spammer+x@Example.org")) == ["banned_commenter"]
    assert decide("Fine words.", listed, author_email="a@mail.junk.example").status == "rejected"
    assert decide("Fine words.", listed, client_ip="203.0.113.77").status == "rejected"
    assert decide("Fine words.", listed, client_ip="2001:db8::1").status == "rejected"
    assert decide("Fine words.", listed, client_ip="198.51.100.1", author_email="ok@example.org").status == "approved"
    many_links = "Sources: https://a.example https://b.example https://c.example https://d.example"
    assert decide(many_links, listed, author_email="reader@example.org").status == "pending"
    trusted = decide(many_links, listed, author_email="Editor@paper.example")
    assert trusted.status == "approved" and codes(trusted) == ["trusted_commenter"]


def test_new_commenters_wait_under_pre_new_and_bad_history_holds():
    pre_new = policy(mode="pre_new", commenters={"pre_new_count": 2})
    assert codes(decide("Fine words.", pre_new, commenter_history="")) == ["new_commenter"]
    assert codes(decide("Fine words.", pre_new, commenter_history="pa")) == ["new_commenter"]
    assert decide("Fine words.", pre_new, commenter_history="aa").status == "approved"
    assert codes(decide("Fine words.", policy(), commenter_history="rsra")) == ["recent_history"]
    assert decide("Fine words.", policy(), commenter_history="rs").status == "approved"  # too few to judge
    assert decide("Fine words.", policy(), commenter_history="aaarr").status == "approved"


@pytest.mark.parametrize("entry", ["not an entry", "x@", "300.1.1.1", "@nodot"])
def test_wrong_commenter_entries_are_refused(entry):
    with pytest.raises(PolicyError):
        Policy.from_dict({**BASE, "commenters": {"banned": [entry]}})
