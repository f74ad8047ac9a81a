"""What a filter declares: the one home of everything the rest of the formats code knows about it.

A filter module (``html_filter``, ``escape``, ``url_filter``, ``autop``) ends with one
:class:`TextFilter`: its id, its settings with defaults and checks, its help line, how it runs,
and what it promises about its output. The registry (``FILTERS``) lists them; the formats file's
checks, the tips, the render plan and the guard's output allowlist are derived from them. A new
filter is a new module with its declaration, plus its line in ``registry.FILTERS``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping


@dataclass(frozen=True)
class Setting:
    """One setting of a filter: ``accepts(value)`` says if a value has the right type
    (``description`` says which: "an integer >= 1"); ``problem(value)`` may then explain what
    else is wrong with it (None: nothing)."""

    name: str
    default: object
    description: str
    accepts: Callable[[object], bool]
    problem: Callable[[object], str | None] = lambda _value: None


def integer_at_least(name: str, minimum: int, default: int) -> Setting:
    return Setting(name, default, f"an integer >= {minimum}",
                   lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum)


def boolean(name: str, default: bool) -> Setting:
    return Setting(name, default, "true or false", lambda v: isinstance(v, bool))


def string(name: str, default: str | None, problem: Callable[[object], str | None] = lambda _value: None) -> Setting:
    return Setting(name, default, "a string", lambda v: isinstance(v, str), problem)


@dataclass(frozen=True)
class Markup:
    """What a text may hold at a point of a format's pipeline: which elements (None: any) and
    whether HTML comments. Filters say what they leave so a later one may skip searching for
    what cannot be there (filter_url's search for <a>, <code>, ... and comments)."""

    elements: frozenset[str] | None
    comments: bool

    def could_hold(self, names: frozenset[str]) -> bool:
        return self.elements is None or bool(self.elements & names)


ANY_MARKUP = Markup(None, True)
NO_MARKUP = Markup(frozenset(), False)


@dataclass(frozen=True)
class Output:
    """The elements (name -> attribute names) a filter may write, and the allowed values of some
    attributes ((element, attribute) -> values): the guard's output allowlist is their union."""

    elements: Mapping[str, frozenset[str]] = field(default_factory=dict)
    attribute_values: tuple = ()


def _no_promise(_settings: Mapping, _before: Markup) -> Markup:
    return ANY_MARKUP


def _as_given(settings: Mapping, _before: Markup) -> Mapping:
    return dict(settings)


@dataclass(frozen=True)
class TextFilter:
    """A filter a format may list.

    - ``run(text, settings, engine, report) -> text``: the filter on normalized text, with the
      settings ``prepare`` made;
    - ``prepare(settings, before) -> dict``: once per format version, the settings ``run`` gets,
      with what it derives from them (a parsed policy...); ``before`` is what the text may hold
      when the filter runs;
    - ``tip(settings) -> str``: the help line under the comment form;
    - ``leaves(settings, before) -> Markup``: what the text may hold after it (by default: no
      promise, anything);
    - ``writes(settings) -> Output``: what it may add to the published HTML (the guard's
      allowlist; the format's markup otherwise stays out of the output).
    """

    id: str
    settings: tuple[Setting, ...]
    run: Callable
    tip: Callable[[Mapping], str]
    writes: Callable[[Mapping], Output] = lambda _settings: Output()
    prepare: Callable[[Mapping, Markup], object] = _as_given
    leaves: Callable[[Mapping, Markup], Markup] = _no_promise

    def defaults(self) -> dict:
        return {setting.name: setting.default for setting in self.settings}
