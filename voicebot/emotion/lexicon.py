"""Single emotion words per label, beyond VADER (which scores polarity, not which emotion).

Phrase cues in `text.py` catch call-centre idioms; these words catch the many other ways of
saying the same feeling ("fuming", "dreading", "muddled"). A `*` entry matches as a prefix.
Strong words decide a label on their own; weak ones need company. Lists written from general
English usage (and after a held-out set showed the phrase cues alone did not generalise).
"""

from __future__ import annotations

from voicebot.emotion.labels import Label

STRONG_WEIGHT = 0.9
WEAK_WEIGHT = 0.45

_STRONG: dict[Label, str] = {
    "angry": """furious fuming livid raging seething incensed enraged irate outraged outrageous
        disgusted disgusting disgrace* scandal* shambles shambolic atrocious abysmal appalling
        pathetic incompeten* crooks cowboys thieves thieving robbery robbing liars lying lie lies
        rubbish garbage nonsense insult* rude arrogant hate despise sue suing ombudsman
        unacceptable ridiculous joke nerve cheek* daylight theft fraudsters""",
    "frustrated": """frustrat* annoy* irritat* exasperat* fed infuriat* maddening hopeless
        pointless nightmare hassle fobbed runaround endless useless patience""",
    "anxious": """worried worrying worry anxious anxiety nervous scared afraid frightened
        terrified petrified panic* dread* fearful uneasy upset distressed stressed stressful
        tearful crying shaking overwhelmed desperate""",
    "confused": """confus* puzzl* baffl* muddl* perplex* bewilder* unclear""",
    "satisfied": """thanks thank cheers brilliant lovely smashing perfect excellent wonderful
        fantastic helpful delighted pleased glad relieved relief sorted solved superb
        marvellous grateful appreciate* legend champion painless""",
}
_WEAK: dict[Label, str] = {
    "angry": """manager supervisor boss complaint complain legal further lawyer""",
    "frustrated": """again still forever ages waiting repeatedly nobody never every
        explained twice already same""",
    "anxious": """arrears debt overdrawn bailiffs eviction evicted disconnect* hospital alone
        vulnerable freezing awake sleep concerned trouble overdue penalty afford safe""",
    "confused": """mean meaning exactly difference explain understand follow lost sure know
        mixed clue""",
    "satisfied": """great good useful quick easy happy kind nice""",
}


def _parse(table: dict[Label, str]) -> dict[Label, tuple[frozenset[str], tuple[str, ...]]]:
    parsed: dict[Label, tuple[frozenset[str], tuple[str, ...]]] = {}
    for label, words in table.items():
        entries = words.split()
        exact = frozenset(w for w in entries if not w.endswith("*"))
        prefixes = tuple(w[:-1] for w in entries if w.endswith("*"))
        parsed[label] = (exact, prefixes)
    return parsed


STRONG = _parse(_STRONG)
WEAK = _parse(_WEAK)


def matches(word: str, entry: tuple[frozenset[str], tuple[str, ...]]) -> bool:
    exact, prefixes = entry
    return word in exact or (bool(prefixes) and word.startswith(prefixes))
