"""Word lists: whole words, evasions folded, evidence in the reader's own characters, linear."""
import time

import pytest

from moderation.policy.wordlists import WordMatcher

LISTS = {"banned": ["fuck*", "cunt", "shit", "ass", "asshole", "arschloch*", "anal*", "butt", "son of a bitch",
                    "connard*", "boner", "shite", "whore", "bitch", "enculé*", "nigger*", "salope"],
         "suspect": ["idiot*", "moron", "shut up"]}
ALLOW = ["analysis", "analyst", "buttery", "Niger"]


@pytest.fixture(scope="module")
def matcher():
    return WordMatcher(LISTS, ALLOW)


@pytest.mark.parametrize("text, term, matched", [
    ("F.U.C.K you", "fuck*", "F.U.C.K"),
    ("what the fuuuuck", "fuck*", "fuuuuck"),
    ("f u c k this", "fuck*", "f u c k"),
    ("this is sh1t", "shit", "sh1t"),
    ("$hit happens", "shit", "$hit"),
    ("total ѕhіt", "shit", "ѕhіt"),  # Cyrillic look-alikes
    ("f\u200buck off", "fuck*", "f\u200buck"),
    ("you 1d10t", "idiot*", "1d10t"),
    ("IDIOTS everywhere", "idiot*", "IDIOTS"),
    ("what an asss", "ass", "asss"),
    ("Du Arschlöcher!", "arschloch*", "Arschlöcher"),
    ("Quel connard.", "connard*", "connard"),
    ("you son of a bitch", "son of a bitch", "son of a bitch"),
    ("please SHUT   UP", "shut up", "SHUT   UP"),
    ("that bitch's car", "bitch", "bitch"),
    ("bande d'enculés", "enculé*", "enculés"),
    ("a n1gger", "nigger*", "n1gger"),  # allowing Niger does not allow the slur
])
def test_evasions_are_found_with_the_readers_own_characters(matcher, text, term, matched):
    found = [(match.term, match.matched, text[match.start:match.end]) for match in matcher.find(text)]
    assert (term, matched, matched) in found


@pytest.mark.parametrize("text", [
    "Scunthorpe United won", "the assassin was caught", "a cocktail bar in Essex", "a careful analysis",
    "the analyst said", "a sextant and a compass", "as far as I know", "but not today", "buttery croissants",
    "Middlesex and Sussex", "a class act", "the passage of the bill", "shiitake mushrooms", "I was there",
    "Dickens wrote it", "in the cockpit", "the therapist", "grapefruit juice", "a classic", "Penistone road",
    "Senator Bonner said", "Shiite and Sunni leaders", "who're they kidding", "the Niger delta", "a saloppe jacket",
])
def test_innocent_words_stay_clean(matcher, text):
    assert matcher.find(text) == []


def test_matching_time_grows_with_the_text_not_the_list():
    small = WordMatcher({"banned": [f"word{i}x" for i in range(10)]})
    large = WordMatcher({"banned": [f"w{i}ord{i}x" for i in range(5000)]})
    text = "An ordinary comment about the council budget, nothing listed in it at all. " * 30

    def best(matcher):
        times = []
        for _ in range(7):
            started = time.perf_counter()
            for _ in range(20):
                matcher.find(text)
            times.append(time.perf_counter() - started)
        return min(times)

    best(small), best(large)  # warm up
    assert best(large) < best(small) * 5


def test_an_empty_list_finds_nothing():
    assert WordMatcher({}).find("anything at all") == []
