"""Is a transcript English? A share of very common English words, good enough to tell a
caller speaking another language (or ASR junk) from an English turn, in microseconds."""

from __future__ import annotations

from collections.abc import Container, Sequence

# The most frequent English words plus the everyday words of a service call. Words of other
# languages that look alike ("no", "me", "a") are few enough not to matter over a sentence.
COMMON = frozenset(
    """
    a about above after again against all already also always am an and another any anyone
    anything are aren't around as ask asked at away back bad be because been before being
    below best better between both but by call called calling calls came can can't cannot
    card change charge check come could couldn't day days did didn't do does doesn't doing
    don't done down each either else even ever every everything fine first for found from
    get gets getting give given go going gone good got great had hasn't have haven't having he
    hear help her here him his hold home how i i'd i'll i'm i've if in into is isn't it it's
    its just keep kind know last late let like line little long look lot made make many may
    me mean might mine minutes month more morning most much must my myself name need never new
    next night no nobody not nothing now number of off oh ok okay on once one only or other
    our out over paid past pay people person phone please put really right said same say see
    she should since so some someone something sorry speak still sure take talk tell than
    thank thanks that that's the their them then there there's these they thing things think
    this those though thought through time times to today told tomorrow too try trying turn
    twice two under understand until up us use used very wait want wanted was wasn't way we
    week well went were what what's when where which while who why will with without won't
    work working would wouldn't wrong yeah year yes yesterday yet you you're your yours
    account address balance bill billing bills charged contract credit customer debit
    electricity engineer gas heating letter meter money office payment plan power price
    refund service statement street supply tariff water website
    """.split()  # noqa: SIM905 - a word list reads best as one block of text
)


def english_share(words: Sequence[str], also: Container[str] = frozenset()) -> float:
    """The share of `words` (lower-case) that are common English words or in `also`, 0..1."""
    if not words:
        return 0.0
    return sum(w in COMMON or w in also for w in words) / len(words)
