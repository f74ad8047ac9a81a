"""The spam model (seeded, taught by moderators) and near-duplicate fingerprints."""
from moderation.policy.near_duplicates import EarlierCopies, Fingerprint, RecentCopies, fingerprint, similar
from moderation.policy.spam_model import HAM, SPAM, SpamCounts, seed_model, tokens

SCAM = ("I am making $85 an hour working from home on my laptop, no experience needed. My cousin showed me, "
        "message me on WhatsApp +44 7700 900123 and I will send you the details today!!")
NEWS = ("The council approved the tram extension last night after a long debate about the route through the "
        "old town; the final cost is still not clear and the works start in spring.")


def test_the_seed_model_tells_a_scam_from_a_news_comment():
    model = seed_model()
    scam, scam_words, scam_known = model.probability(tokens(SCAM))
    news, _, _ = model.probability(tokens(NEWS))
    assert scam > 0.95 and news < 0.5
    assert scam_known >= 8 and scam_words  # it says which words weighed most


def test_moderators_decisions_move_the_model_for_their_site():
    model = seed_model()
    features = tokens("Visit the allotment society open day, tickets at the gate, all proceeds to the hospice")
    before, _, _ = model.probability(features)
    site = SpamCounts()
    for _ in range(20):
        site.add(SPAM, features)
    after, _, _ = model.probability(features, site)
    assert after > before and after > 0.9
    site_ham = SpamCounts()
    for _ in range(20):
        site_ham.add(HAM, tokens(SCAM))
    assert model.probability(tokens(SCAM), site_ham)[0] < model.probability(tokens(SCAM))[0]


def test_copies_share_band_keys_and_different_texts_do_not():
    original = "Finally a newspaper telling the truth about energy prices! Everyone should read this and share it."
    varied = "Finally a newspaper telling the truth about energy prices!! Everyone should share this and read it"
    other = "The tram extension was approved last night; the works start in spring and last two years at least."
    first, second, third = fingerprint(original), fingerprint(varied), fingerprint(other)
    assert set(first.bands) & set(second.bands) and similar(first.shingles, second.shingles)
    assert not set(first.bands) & set(third.bands) and not similar(first.shingles, third.shingles)
    assert fingerprint("Great article, thanks!") == Fingerprint()  # too short to judge


def test_recent_copies_verify_candidates_and_name_the_first():
    recent = RecentCopies()
    campaign = fingerprint("Check out this amazing offer for everyone reading the news today, it changed my life")
    assert recent.seen(campaign) == EarlierCopies()
    recent.add("s1/a", campaign)
    recent.add("s2/b", campaign)
    assert recent.seen(campaign) == EarlierCopies(2, "s1/a")
    # A chance collision of bands is not a copy: the shingles are compared.
    impostor = Fingerprint(frozenset({"entirely", "different", "words", "here"}), campaign.bands)
    assert recent.seen(impostor) == EarlierCopies()
