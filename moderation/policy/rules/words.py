"""Word lists: banned terms reject, suspect terms hold, and several different suspect terms
(``words.suspect_to_reject``, default 2: "ferme ta gueule, sale con") reject. A term that is
quoted (in quotation marks, a <blockquote>, or after a reporting verb: "he called them ...")
is held for a human instead, since newsrooms' readers quote what politicians say."""
import re

from moderation.policy.findings import Finding
from moderation.policy.folding import fold

RULE = "words"
# Spans in quotation marks: straight, curly, low-high (German), guillemets both ways.
_QUOTED = re.compile(r"\"[^\"\n]{1,300}\"|“[^”\n]{1,300}”|„[^“”\n]{1,300}[“”]|«[^»\n]{1,300}»|»[^«\n]{1,300}«"
                     r"|‘[^’\n]{1,300}’|(?<!\w)'[^'\n]{1,300}'(?!\w)")
# A reporting verb shortly before the word, in the same sentence.
_REPORTING = re.compile(
    r"(?i)\b(?:call(?:s|ed|ing)?|sa(?:y|ys|id)|wr(?:ote|ites)|tweet(?:s|ed)|post(?:s|ed)|describ(?:es|ed)|"
    r"label(?:s|ed|led)|brand(?:s|ed)|dubb?(?:s|ed)|quot(?:es|ed)|shout(?:s|ed)|yell(?:s|ed)|the word|"
    r"trait(?:e|é|ait)|a dit|dit que|qualifi(?:e|é)|nann?te|nennt|sagte?|bezeichnete|schrieb|"
    r"llam(?:ó|a)|dijo|chiamato|detto)\b")
_SENTENCE_END = re.compile(r"[.!?\n](?=[^.!?\n]*$)")
REPORTING_WINDOW = 60


def check(subject) -> list[Finding]:
    matches = subject.compiled.words.find(subject.text.text)
    if not matches:
        return []
    quoted = [match.span() for match in _QUOTED.finditer(subject.text.text)]
    banned_direct, banned_quoted, suspect, suspect_terms = [], [], [], set()
    for match in matches:
        evidence = subject.evidence(match.start, match.end, f"{match.list_name}: {match.term}")
        is_quoted = _is_quoted(subject, quoted, match.start, match.end)
        if match.list_name == "suspect":
            suspect.append(evidence)
            if not is_quoted:  # different words, however many terms or times they matched
                suspect_terms.add(fold(match.matched).strip())
        elif is_quoted:
            banned_quoted.append(evidence)
        else:
            banned_direct.append(evidence)
    findings = []
    if banned_direct:
        findings.append(Finding(RULE, "rejected", "banned_word", _listing("banned", banned_direct),
                                tuple(banned_direct)))
    if banned_quoted:
        findings.append(Finding(RULE, "pending", "banned_word_quoted",
                                _listing("banned", banned_quoted) + ", quoted or reported: a human decides",
                                tuple(banned_quoted)))
    threshold = subject.policy.words.suspect_to_reject
    if suspect and threshold and len(suspect_terms) >= threshold:
        findings.append(Finding(RULE, "rejected", "suspect_words", _listing("suspect", suspect)
                                + f": {len(suspect_terms)} different ones", tuple(suspect)))
    elif suspect:
        findings.append(Finding(RULE, "pending", "suspect_word", _listing("suspect", suspect), tuple(suspect)))
    return findings


def _is_quoted(subject, quoted: list[tuple[int, int]], start: int, end: int) -> bool:
    if subject.text.in_blockquote(start, end) or any(q_start < start and end < q_end for q_start, q_end in quoted):
        return True
    before = subject.text.text[max(0, start - REPORTING_WINDOW):start]
    sentence_end = _SENTENCE_END.search(before)
    if sentence_end:
        before = before[sentence_end.end():]
    return bool(_REPORTING.search(before))


def _listing(list_name: str, evidence: list) -> str:
    words = sorted({item.text for item in evidence})
    return f"{list_name} word{'s' if len(words) > 1 else ''}: " + ", ".join(repr(word) for word in words)
