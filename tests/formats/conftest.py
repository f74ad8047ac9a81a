"""The formats tests' shared fixture: some modules run twice, with the fast paths on ("fast")
and off ("exact": moderation/formats/fast_paths.py), so every Drupal vector, equivalence,
property and XSS-oracle test also proves that the exact implementations alone give the same
answers, i.e. that deleting a fast path changes nothing but speed."""
import pytest

from moderation.formats import fast_paths

BOTH_WAYS = {"test_drupal_acceptance", "test_properties", "test_url_filter", "test_render", "test_security",
             "test_autop", "test_html_filter", "test_engines_side_by_side", "test_escape", "test_kept_text"}


def pytest_generate_tests(metafunc):
    if metafunc.module.__name__.rsplit(".", 1)[-1] in BOTH_WAYS:
        metafunc.parametrize("fast_paths_mode", ["fast", "exact"], indirect=True)


@pytest.fixture(autouse=True)
def fast_paths_mode(request):
    """"exact" (from the parametrization above): the test runs with every fast path off."""
    mode = getattr(request, "param", "fast")
    if mode == "exact":
        with fast_paths.off():
            yield mode
    else:
        yield mode
