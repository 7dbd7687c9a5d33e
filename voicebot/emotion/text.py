"""Emotion evidence from the caller's words: VADER sentiment plus call-centre cues it does not
know ("third time I'm calling", "cancel my account", "I don't understand", profanity).

Cues are regular expressions over the lower-cased transcript; negatable ones are dropped (or,
for praise, turned into frustration) when a negator sits just before them ("not worried",
"not happy"). Sarcasm is read as praise next to a complaint ("oh great, another menu").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from voicebot.emotion.english import english_share
from voicebot.emotion.labels import LABELS, Label
from voicebot.emotion.lexicon import STRONG, STRONG_WEIGHT, WEAK, WEAK_WEIGHT, matches


@dataclass(frozen=True)
class Cue:
    name: str
    label: Label
    weight: float
    pattern: re.Pattern[str]
    negatable: bool = False


def _cue(name: str, label: Label, weight: float, pattern: str, negatable: bool = False) -> Cue:
    return Cue(name, label, weight, re.compile(pattern), negatable)


# Negators that flip a negatable cue when they occur within the two words before it
# ("not really worried"; three would reach back into "no idea how angry").
_NEGATORS = re.compile(
    r"\b(not|no|never|nobody|nothing|none|neither|nor|dont|don't|isn't|aren't|wasn't|won't"
    r"|can't|cannot|hardly|without)\b"
    r"|n't\b"
)

CUES: tuple[Cue, ...] = (
    # -- frustrated: repetition, waiting, broken promises ---------------------------------------
    _cue(
        "repeat_call",
        "frustrated",
        1.5,
        r"\b(second|third|fourth|fifth|tenth|\d+(st|nd|rd|th)) time\b|\bcall(ed|ing)? (you )?"
        r"(before|yesterday|last week|twice|three times|several times|so many times)\b"
        r"|\bkeep (having to )?call",
    ),
    _cue(
        "waiting",
        "frustrated",
        1.2,
        r"\b(on hold|been waiting|kept waiting|sick of waiting|waiting for (days|weeks|ages))\b"
        r"|\b(for|over) (a|an) (month|week|year)\b|\ball (morning|day|afternoon|week)\b"
        r"|\btaking (forever|ages|so long)\b|\bfor (days|weeks|months|ages|hours)\b",
    ),
    _cue(
        "repeating_myself",
        "frustrated",
        1.3,
        r"\b(already (told|gave|said|explained|given)|how many times|repeat(ing)? myself"
        r"|same (details|thing|question|problem|answer)|(told|asked) you (twice|already|before)"
        r"|keep (asking|telling|getting|saying|happening|sending))\b",
    ),
    _cue(
        "still_broken",
        "frustrated",
        1.2,
        r"\bstill (not|isn'?t|hasn'?t|doesn'?t|no|broken|waiting|wrong)\b"
        r"|\b(wrong|broken|down|off|cut off|happening) again\b|\bagain\s*\?"
        r"|\b(not|never) (been )?(fixed|sorted|resolved)\b|\bhasn'?t been (fixed|sorted|done)\b"
        r"|\bnothing (has )?(happened|been done|changed)\b|\bnever (call|got|get|rang)\b"
        r"|\b(isn'?t|is not|doesn'?t|does not|won'?t|not) work(ing|s)?\b",
    ),
    _cue(
        "broken_promise",
        "frustrated",
        1.2,
        r"\b(nobody|no one|never) (ever )?(calls?|rang|rings|got back|gets back)\b"
        r"|\byou said (it|you|they|someone) would\b|\b(you )?promised\b|\bwas supposed to\b"
        r"|\b(would|will|should) be (sorted|fixed|done|working|resolved)\b.{0,30}"
        r"\b(wasn'?t|isn'?t|hasn'?t|didn'?t|never)\b",
    ),
    _cue(
        "impatient",
        "frustrated",
        0.5,
        r"\bjust (let|put|give|tell|fix|get)\b|\bhurry( up)?\b|\b(\w+)[,.!]? \3\b",
    ),
    _cue(
        "fed_up",
        "frustrated",
        1.3,
        r"\b(fed up|had enough|tired of|sick of|enough of|don'?t have time|waste of (my )?time"
        r"|passed around|round in circles|getting nowhere|not listening|not what i (asked|said)"
        r"|so complicated|different answer|for the last time|every (single )?(time|month)"
        r"|round and round|(far |way )?too long|dragged on|back and forth"
        r"|straight answer|(didn'?t|never) (turn|turned|show|showed) up|need this (fixed|sorted))\b"
        r"|^(come on|seriously)\b",
    ),
    _cue(
        "wants_human",
        "frustrated",
        0.8,
        r"\b(real person|a human|someone real|a person|an agent|agent,? agent|operator"
        r"|put me through|speak to someone|talk to someone)\b",
    ),
    _cue(
        "sarcasm",
        "frustrated",
        1.6,
        r"\bthanks for nothing\b|\byeah,? right\b|\bjust what i needed\b"
        r"|\b(great|wonderful|brilliant|perfect|lovely|fantastic|marvellous|terrific)\b[,.!]*"
        r" (just )?(another|more|again|cut|no reason|brilliant|great|wonderful)\b",
    ),
    # -- angry: insults, threats to leave or complain, profanity ---------------------------------
    _cue(
        "outrage",
        "angry",
        1.6,
        r"\b(ridiculous|unacceptable|outrageous|disgrace\w*|disgusting|pathetic|appalling"
        r"|shocking|insane|absurd|a joke|useless|incompeten\w*|is a scam|scam(mers)?\b|rip[ -]?off"
        r"|liars?|lies|stole|theft|robbery|worst|unbelievable|treated (so )?badly"
        r"|(messing|mucking) me (about|around))\b",
        negatable=True,
    ),
    _cue(
        "angry_word",
        "angry",
        1.8,
        r"\b(furious|livid|angry|fuming|outraged|irate|pissed( off)?|mad at|how dare"
        r"|don'?t you dare|shut up|i'?m done with|so angry)\b",
        negatable=True,
    ),
    _cue(
        "cancel_account",
        "angry",
        1.5,
        r"\bcancel(l?ing)? (my|the|this) (account|contract|service|direct debit)\b"
        r"|\bi'?m cancell?ing\b|\bswitching (to|provider)\b|\bclose my account\b",
    ),
    _cue(
        "complaint_threat",
        "angry",
        1.5,
        r"\b(formal complaint|make a complaint|complain(ing)? to|ombudsman|regulator|court"
        r"|lawyer|solicitor|sue (you|the)|legal action|report(ing)? you|trading standards"
        r"|(to|go to) the (papers|press|media)|social media|(take|taking) (this|it) further"
        r"|mark my words|(how is|is) (that|this) legal|illegal|against the law)\b",
    ),
    _cue(
        "demands_manager",
        "angry",
        1.0,
        r"\b(get me|put me through to|i want|speak to|talk to) (a|the|your) (manager|supervisor"
        r"|boss)\b",
    ),
    _cue(
        "kidding",
        "angry",
        1.4,
        r"\b(are you (kidding|joking|serious)|you must be joking|you'?re joking)\b",
    ),
    _cue(
        "overcharged",
        "angry",
        1.1,
        r"\b(overcharg\w*|charged me twice|double charged|money back)\b",
    ),
    _cue(
        "profanity",
        "angry",
        1.8,
        r"\b(hell|damn\w*|bloody|bullshit|shit\w*|crap|fuck\w*|bastards?|idiots?|stupid"
        r"|moron\w*|arse|ass)\b",
    ),
    # -- anxious: fear, threatened loss, fraud, vulnerability ------------------------------------
    _cue(
        "worry_word",
        "anxious",
        1.6,
        r"\b(worr(y|ied|ying)|scared|afraid|frightened|terrified|nervous|anxious|panic\w*"
        r"|stress(ed|ful)?|concerned|fear|can'?t sleep|desperate|awake at night"
        r"|keeping me (up|awake)|in (a|a real|such a) state|crying|in tears)\b",
        negatable=True,
    ),
    _cue(
        "what_if",
        "anxious",
        1.1,
        r"\bwhat (happens|will happen|if)\b|\bdon'?t know what (i'?ll|i will|we'?ll|i'?d) do\b"
        r"|\bi hope (nothing|i haven'?t|it'?s not|they don'?t)\b|\bplease tell me\b"
        r"|\b(is|are) (my|our) .{0,20}\bsafe\b|\b(in|into) trouble\b"
        r"|\bwill they\b|\bwill i still\b",
    ),
    _cue(
        "fraud",
        "anxious",
        1.2,
        r"\b(been scammed|fraud\w*|stolen|identity|hacked|breach|emptied|someone (has been )?using"
        r"|don'?t recogni[sz]e|pretending to be|gave them my)\b",
    ),
    _cue(
        "threatened_loss",
        "anxious",
        0.9,
        r"\b(cut (us |me )?off|disconnect\w*|lose my|lose our|take my house|bailiffs?|debt"
        r"|can'?t afford|can'?t pay|can make the payment|final notice|evict\w*|bounc\w*|too late"
        r"|deadline|locked|rent is due)\b",
    ),
    _cue(
        "vulnerable",
        "anxious",
        1.0,
        r"\b(baby|elderly|oxygen|disabled|medical|urgent(ly)?|in hospital|on my own)\b",
        negatable=True,
    ),
    # -- confused: not understanding, asking what something means --------------------------------
    _cue(
        "dont_understand",
        "confused",
        1.8,
        r"\b(don'?t|do not|didn'?t|did not) (understand|get it|follow|catch)\b"
        r"|\bno idea (what|which|why|where)\b|\b(confus\w*|puzzl\w*|baffl\w*)"
        r"|\bi'?m lost\b|\bmakes? no sense\b|\bdoesn'?t make (any )?sense\b"
        r"|\b(not|n't) (following|with you)\b|\bcan'?t (work out|figure out|make out)\b"
        r"|\bmixed up\b|\b(a bit|bit|totally|completely) lost\b",
    ),
    _cue(
        "not_sure",
        "confused",
        1.2,
        r"\b(not|n't) (really |quite |totally |entirely |too |very )?sure\b|\bunsure\b"
        r"|\b(don'?t|do not) (really |quite )?know (which|what|where|how|if|whether)\b",
    ),
    _cue(
        "what_means",
        "confused",
        1.1,
        r"\bwhat do(es)? (you|that|it|this) mean\b|\bwhat does .{1,30} mean\b"
        r"|\bwhat'?s the difference\b|\bwhich (one|option|number|menu|account|bill)\b"
        r"|\b(say|repeat) (that|it|the options)( again)?\b|\bcome again\b|\b(explain|clarify)\b"
        r"|\bwhat (am i|should i|do i) (supposed to |do|say)|\bis that the same\b"
        r"|\b(option|options) again\b|\bso do i\b|\bhow does (that|this|it) work\b"
        r"|\bwhere do i find\b|\bwhat do i do\b|\bwhich (button|key|one|number) do i\b"
        r"|\bwhat was that\b|\bi thought you said\b|\bwhy (is|are) there\b"
        r"|\bexactly\s*\?*$|\bdo i need (my|the|a) .{1,40} or\b"
        r"|\b(go over|run through|run by me) (that|it)( again)?\b"
        r"|\bwhat (is|are) (this|these) \w+ (on|in) my\b",
    ),
    _cue(
        "bare_question",
        "confused",
        1.8,
        r"^(huh|eh|what|pardon|sorry what|wait,? what|sorry|come again|what now)\s*[?!.]*$",
    ),
    # -- satisfied: thanks and praise (praise after a negator turns into frustration) ------------
    _cue("thanks", "satisfied", 1.0, r"\b(thanks?|thank you|cheers|appreciate\w*|grateful)\b"),
    _cue(
        "praise",
        "satisfied",
        1.0,
        r"\b(great|perfect\w*|excellent|brilliant|wonderful|lovely|fantastic|awesome|superb|fab"
        r"|amazing|helpful|pleased|happy|glad|relief|sorted|solved|much better|good to hear"
        r"|nice one|a star|made my day|kind|easier than|works for me|working (now|perfectly)"
        r"|exactly what|all fine|that works)\b",
        negatable=True,
    ),
    _cue(
        "litotes",
        "satisfied",
        1.2,
        r"\b(not bad|no problem|can'?t complain|no complaints|not a problem|no worries"
        r"|(couldn'?t|could not) (be|have been) (happier|better))\b",
    ),
    # -- everyday idioms, British and American, that no single word gives away -----------------
    _cue(
        "idiom_frustrated",
        "frustrated",
        1.3,
        r"\b(end of my (tether|rope)|tearing my hair out|banging my head|doing my head in"
        r"|driving me (mad|crazy|nuts|up the wall|round the bend)|(had it )?up to here"
        r"|(cheesed|hacked|brassed|browned) off|not being funny|brick wall|for crying out loud"
        r"|give me strength|for (god'?s|goodness'?|heaven'?s) sake|simple answer"
        r"|why is it so (hard|difficult)|(ugh|argh)\b)",
    ),
    _cue(
        "idiom_angry",
        "angry",
        1.5,
        r"\b(out of order|taking the (mick|mickey|piss)|having a laugh|sick to death"
        r"|over my dead body|daylight robbery|seeing red|makes my blood boil|up in arms"
        r"|who do you think you are|chief executive|head office|compensation"
        r"|(one|1) star|bad review|lied to|so rude(ly)?|rudely|ruined|so called)\b",
    ),
    _cue(
        "idiom_anxious",
        "anxious",
        1.3,
        r"\b(wits'? end|worried sick|scared (stiff|to death)|beside myself|on edge|in a panic"
        r"|(lost|losing) sleep|don'?t know how (i'?ll|we'?ll|i'?m going to|we'?re going to)"
        r"|struggling|heart in my mouth|debt collectors?|final (warning|demand)"
        r"|lost my job|about to run out|be without (electricity|power|heating|gas|water))\b",
    ),
    _cue(
        "idiom_confused",
        "confused",
        1.3,
        r"\b(at a loss|clueless|no clue|over my head|doesn'?t add up|not (quite |very )?clear"
        r"|lost me|(did|do) you say|say (that|it)? ?again|the last bit|not with you"
        r"|meant to (do|know|say)|where would i find|what'?s the difference)\b",
    ),
    _cue(
        "idiom_satisfied",
        "satisfied",
        1.2,
        r"\b(chuffed|over the moon|made up|spot on|mind at rest|weight off|a million|grand"
        r"|cracking|top notch)\b|\bta\s*[.!]?$",
    ),
    # -- neutral: callers who say outright that nothing is wrong ---------------------------------
    _cue(
        "no_problem_stated",
        "neutral",
        1.5,
        r"\b(not urgent|no rush|just a question|just checking|not calling about a problem)\b",
    ),
)

_INTENSIFIERS = re.compile(
    r"\b(so|really|very|absolutely|completely|totally|utterly|extremely|right now|now"
    r"|immediately)\b"
)
_WORD = re.compile(r"[a-z']+")
_GREETING = re.compile(r"\bgood (morning|afternoon|evening|day)\b", re.IGNORECASE)
# The minimum evidence for a label other than neutral.
THRESHOLD = 0.9
# A turn of three words or more with a smaller share of known English words is treated as
# not English: neutral, confidence 0.1, unless a cue still fires.
NOT_ENGLISH_BELOW = 0.3

_vader = SentimentIntensityAnalyzer()


@dataclass(frozen=True)
class TextEvidence:
    """What the words say: evidence per label, the cues that fired and VADER's compound."""

    evidence: dict[Label, float] = field(default_factory=dict)
    cues: tuple[str, ...] = ()
    compound: float = 0.0
    boost: float = 0.0
    """0..1 from intensifiers, exclamation marks and SHOUTED words."""
    confidence: float = 0.0

    def best(self) -> tuple[Label, float]:
        label, value = max(self.evidence.items(), key=lambda kv: kv[1], default=("neutral", 0.0))
        if value < THRESHOLD or label == "neutral":
            return "neutral", 0.0
        return label, value


def _negated(clean: str, start: int) -> bool:
    before = clean[:start].split()[-2:]
    return bool(_NEGATORS.search(" ".join(before)))


def _confidence(words: list[str]) -> float:
    """Low for few words and for words that are not English (another language, ASR junk)."""
    if not words:
        return 0.0
    english = english_share(words, also=_vader.lexicon)
    if len(words) >= 3 and english < NOT_ENGLISH_BELOW:
        return 0.1
    by_length = min(1.0, 0.3 + 0.15 * len(words))  # one word 0.45 ... five words 1.0
    return round(by_length * min(1.0, english / 0.5), 3)


def _add_words(words: list[str], evidence: dict[Label, float], cues: list[str]) -> None:
    """Emotion words (`lexicon.py`), each counted once per label, negation-aware."""
    found: dict[Label, float] = {}
    for i, word in enumerate(words):
        for label in LABELS:
            if label == "neutral":
                continue
            weight = (
                STRONG_WEIGHT
                if matches(word, STRONG[label])
                else WEAK_WEIGHT
                if matches(word, WEAK[label])
                else 0.0
            )
            if not weight:
                continue
            if _NEGATORS.search(" ".join(words[max(0, i - 2) : i])):
                # "not helpful": praise after a negator is a complaint; other feelings drop.
                if label == "satisfied" and weight == STRONG_WEIGHT:
                    found["frustrated"] = found.get("frustrated", 0.0) + WEAK_WEIGHT
                continue
            found[label] = found.get(label, 0.0) + weight
    for label, weight in found.items():
        # Words stand in for phrase cues that did not fire; they do not add to those that did
        # ("fed up" is one complaint, not two), and never count for more than two strong words.
        words_say = min(weight, 2 * STRONG_WEIGHT)
        if words_say > evidence[label]:
            evidence[label] = words_say
            cues.append(f"words_{label}")


def score_text(text: str) -> TextEvidence:
    """Evidence for each label from one transcript; empty or junk text gives no evidence."""
    if not isinstance(text, str) or not text.strip():
        return TextEvidence()
    # Greetings ("good afternoon") are politeness, not satisfaction.
    raw = _GREETING.sub(" ", " ".join(text.split())).strip() or " ".join(text.split())
    clean = raw.lower().replace("\u2019", "'")
    words = _WORD.findall(clean)
    confidence = _confidence(words)

    evidence: dict[Label, float] = dict.fromkeys(LABELS, 0.0)
    cues: list[str] = []
    for cue in CUES:
        matches = list(cue.pattern.finditer(clean))
        if not matches:
            continue
        kept = [m for m in matches if not (cue.negatable and _negated(clean, m.start()))]
        if not kept:
            if cue.label == "satisfied":  # "not happy", "not helpful"
                evidence["frustrated"] += cue.weight
                cues.append(f"negated_{cue.name}")
            continue  # "not worried", "not urgent": the cue does not apply
        # A second, separate match ("too late to stop the disconnection") adds half again.
        evidence[cue.label] += cue.weight * (1.5 if len(kept) > 1 else 1.0)
        cues.append(cue.name)

    _add_words(words, evidence, cues)

    if confidence <= 0.1:
        if not cues:  # no English we know and no cue: say nothing, with low confidence
            return TextEvidence(confidence=confidence)
        confidence = 0.4  # "agent, agent, agent": few words we know, but a clear cue

    if "sarcasm" in cues:  # the praise in "oh great, another menu" is not satisfaction
        evidence["satisfied"] = 0.0
    negative = evidence["frustrated"] + evidence["angry"] + evidence["anxious"]
    if evidence["satisfied"] and negative > evidence["satisfied"]:
        evidence["satisfied"] = 0.0  # "thanks, but it's still not working"

    compound = float(_vader.polarity_scores(raw)["compound"])
    undecided = max(v for k, v in evidence.items() if k != "neutral") < THRESHOLD
    if undecided and evidence["neutral"] < THRESHOLD:
        # VADER's lexicon covers feelings our cues and words do not name: it decides the
        # polarity, the weak evidence (if any) which negative emotion.
        if compound >= 0.5:
            evidence["satisfied"] += compound
            cues.append("positive_sentiment")
        elif compound <= -0.4:
            negatives: list[Label] = ["frustrated", "angry", "anxious"]
            leading = max(negatives, key=lambda k: evidence[k])
            target = leading if evidence[leading] > 0 else "frustrated"
            evidence[target] = max(evidence[target] - compound, THRESHOLD)
            cues.append("negative_sentiment")
    elif compound <= -0.4 and evidence["angry"] > 0:
        evidence["angry"] += 0.3  # strongly negative wording tips an angry/frustrated tie

    shouted = sum(1 for w in raw.split() if len(w) > 2 and w.isupper())
    boost = min(
        1.0,
        0.2 * len(_INTENSIFIERS.findall(clean)) + 0.2 * raw.count("!") + 0.25 * shouted,
    )
    return TextEvidence(
        evidence={k: round(v, 3) for k, v in evidence.items()},
        cues=tuple(cues),
        compound=compound,
        boost=boost,
        confidence=confidence,
    )
