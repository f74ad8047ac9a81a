"""Threats of violence: explicit ones (intent + violence against someone, "should be shot")
reject; veiled ones ("watch your back", "I know where you live") hold for a human. Read on the folded text
(``policy.folding``), so ``k1ll`` and ``I'll k i l l you`` are seen; the patterns are written
in plain words and folded the same way when compiled."""
import re

from moderation.policy.findings import Finding
from moderation.policy.folding import fold
from moderation.policy.triggered import TriggeredPatterns

RULE = "threats"

# A regex escape (kept as it is) or a plain word (folded).
_ESCAPE_OR_WORD = re.compile(r"\\.|[^\W\d_]+(?:'[^\W\d_]+)?")


def _folded_pattern(source: str) -> re.Pattern:
    """``source`` with each plain word folded (stage by stage, as a comment's text is)."""
    return re.compile(_ESCAPE_OR_WORD.sub(
        lambda token: token.group() if token.group().startswith("\\") else re.escape(fold(token.group())), source))


_INTENT = (r"(?:(?:i|we) (?:will|shall|am going to|are going to|am gonna|want to|wanna|would love to|intend to|"
           r"plan to|gonna|going to)|i'll|we'll|i'm going to|i'm gonna|we're going to|we're gonna|imma|ima)")
_VIOLENCE = (r"(?:kill|shoot|stab|murder|hang|behead|rape|strangle|slit|butcher|execute|lynch|gut|torture|choke|"
             r"slaughter|shank|hunt down|gun down|burn alive|slit the throat of)")
_HARM = r"(?:beat|hurt|punch|smash|break|find|burn|bomb|run over|blow up|get|deal with|visit)"
_TARGET = r"(?:you|u|ya|him|her|them|your|his|their|every one of you|all of you)"

# Each pattern with its trigger words, one of which starts a word of any match (policy.triggered:
# only the patterns whose triggers are in the comment run).
_V = "kill shoot stab murder hang behead rape strangle slit butcher execute lynch gut torture choke slaughter shank hunt gun burn"

EXPLICIT = TriggeredPatterns.of((
    (_V, rf"\b{_INTENT} {_VIOLENCE} {_TARGET}\b"),
    ("break smash cut rip snap", rf"\b{_INTENT} (?:break|smash|cut off|rip off|snap) (?:your|his|her|their|every) "
     r"(?:\w+ )?(?:legs?|arms?|fingers?|neck|face|teeth|skull|jaw|knees?|hands?|bones?)\b"),
    ("bullet rope", r"\b(?:deserves?|needs?|earned|gets?|get) a bullet\b|\bput a bullet (?:in|through)\b|\bday of the rope\b"),
    ("hang string lynch", r"\b(?:hang|string up|lynch)\b[^\n]{0,80}\b(?:lamp ?posts?|lampposts?|trees?|rope)\b"),
    ("petrol jerry molotov", r"\b(?:can of petrol|jerry ?can|petrol bomb|molotov)\b[^.!?\n]{0,60}\b(?:lighter|matches|burn|torch)"),
    ("kill shoot hang stab lynch execute behead burn murder gas rape",
     r"\b(?:someone|somebody|people|you|they|we) (?:should|ought to|need to|must) (?:kill|shoot|hang|stab|lynch|"
     r"execute|behead|burn|murder|gas|rape)\b"),
    ("shot killed hanged hung lynched executed beheaded burned burnt murdered gassed raped stabbed put down",
     r"\b(?:should|ought to|deserves? to|needs? to|must) be (?:shot|killed|hanged|hung|lynched|executed|"
     r"beheaded|burned|burnt|murdered|gassed|raped|stabbed|put down)\b"),
    ("die burn rot shot raped killed", r"\b(?:deserves? to|should|must|hope (?:you|u|he|she|they)) (?:die|dies|burn|"
     r"rot|get shot|gets shot|get raped|gets raped|get killed|gets killed)\b"),
    ("yourself urself yourselves kys", r"\b(?:kill|hang|shoot) (?:yourself|urself|yourselves)\b|\bkys\b"),
    ("bullet", r"\bbullet (?:in|through|between) (?:your|his|her|their|the) (?:head|skull|eyes|brain)"),
    # French
    ("tuer buter crever égorger egorger frapper défoncer defoncer brûler bruler pendre fumer flinguer descendre "
     "massacrer retrouver",
     r"\b(?:je vais|j'vais|on va|nous allons|je veux) (?:te|vous|le|la|les) (?:tuer|buter|crever|égorger|egorger|"
     r"frapper|défoncer|defoncer|brûler|bruler|pendre|fumer|flinguer|descendre|massacrer|retrouver)\b"),
    ("mérite merite", r"\b(?:mérite|mérites|méritent|merite|merites|meritent) (?:de mourir|la mort|une balle|d'être pendu)"),
    ("crève creve", r"\bcrève\b|\bcreve\b"),
    # Spanish, Italian, Dutch
    ("matar reventar partir pegar", r"\b(?:te|os|lo|la|los) (?:voy|vamos) a (?:matar|reventar|partir la cara|pegar un tiro)\b"),
    ("ammazz uccid spar", r"\b(?:ti|vi) (?:ammazzo|ammazziamo|uccido|uccidiamo|sparo|spariamo)\b"),
    ("maak sla", r"\bik (?:maak|sla) (?:je|jou|jullie) (?:af|dood)\b"),
    # German
    ("dich euch ihn sie", r"\bich (?:bringe?|werde|will|würde) (?:dich|euch|ihn|sie) (?:um|umbringen|abstechen|"
     r"erschießen|erschiessen|abknallen|aufhängen|aufhaengen|fertigmachen|töten|toeten|finden)\b"),
    ("erschossen aufgehängt aufgehaengt vergast umgebracht abgeknallt gehängt gehaengt",
     r"\b(?:gehört|gehoert|gehören|gehoeren|sollte|sollten) (?:erschossen|aufgehängt|aufgehaengt|vergast|"
     r"umgebracht|abgeknallt|gehängt|gehaengt)\b"),
    ("verdient verdienst verdienen", r"\b(?:verdient|verdienst|verdienen) (?:den tod|eine kugel|zu sterben)\b"),
), _folded_pattern)

VEILED = TriggeredPatterns.of((
    ("live lives work works sleep", r"\b(?:i|we) (?:know|found|found out|have) where (?:you|u|she|he|they|your \w+) "
     r"(?:live|lives|work|works|sleep)"),
    ("who names", r"\b(?:i|we) know who (?:you are|the moderators are|wrote this)\b|\bnames are being (?:written|taken)\b"),
    ("shame", r"\b(?:would|it'd) be a shame if (?:anything|something)\b"),
    ("careful", r"\bbe careful (?:walking|driving|going) (?:home|to)\b"),
    ("visit", r"\bpay (?:\w+ ){1,3}a (?:little |friendly |personal )?visit\b"),
    ("happens", r"\b(?:see|watch) what happens\b"),
    ("dónde donde dove waar", r"\bsé dónde (?:vives|trabajas)\b|\bso dove (?:abiti|lavori)\b|\bik weet waar (?:je|jij) woont\b"),
    ("habite vit vis", r"\b(?:je sais|on sait|nous savons) (?:où|ou) (?:tu|vous|il|elle) (?:habite|habites|habitez|vit|vis|vivez)"),
    ("wohn arbeitest", r"\b(?:ich|wir) (?:weiß|weiss|wissen) wo (?:du|ihr|er|sie) (?:wohnst|wohnt|wohnen|arbeitest)"),
    ("arrières arrieres wer", r"\bsurveiller ses arrières\b|\bwir wissen wer (?:du|ihr) (?:bist|seid)\b"),
    ("beat hurt punch smash break find burn bomb run blow get deal visit", rf"\b{_INTENT} {_HARM} (?:you|u|ya)\b"),
    ("watch", r"\bwatch your (?:back|step|family|kids)\b"),
    ("regret pay", r"\b(?:you'll|you will) (?:regret|pay for) (?:this|that|it)\b"),
    ("numbered", r"\byour days are numbered\b"),
    ("eye", r"\bsleep with one eye open\b"),
    ("waiting watching", r"\b(?:we'll|we will) be (?:waiting|watching)(?: for you)?\b"),
    ("happen", r"\bsomething (?:bad )?(?:could|might|will) happen to (?:you|your|her|him)\b"),
    ("school", r"\b(?:i|we) (?:know|see) (?:what|which) school (?:your|her|his|their) (?:kids|children|son|daughter)"),
    ("gaffe pass bereuen regretter", r"\bfais gaffe à toi\b|\bpass auf dich auf\b|\bdu wirst es bereuen\b|\btu vas le regretter\b"),
), _folded_pattern)


def check(subject) -> list[Finding]:
    if not subject.policy.threats.enabled:
        return []
    explicit = [item for pattern, windows in EXPLICIT.windows(subject.folded)
                for item in subject.folded_matches(pattern, windows=windows)]
    if explicit:
        return [Finding(RULE, "rejected", "threat", "a threat of violence: " + _quote(explicit), tuple(explicit))]
    veiled = [item for pattern, windows in VEILED.windows(subject.folded)
              for item in subject.folded_matches(pattern, windows=windows)]
    if veiled:
        return [Finding(RULE, "pending", "veiled_threat", "may be a threat: " + _quote(veiled), tuple(veiled))]
    return []


def _quote(evidence) -> str:
    return ", ".join(repr(item.text) for item in evidence[:3])
