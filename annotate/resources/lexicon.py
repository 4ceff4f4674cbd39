"""Word lists behind the rules. Editing any of them changes the rules' model_version."""

from __future__ import annotations

_MONTH_ABBREVIATIONS = "Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()


MONTHS = frozenset(
    "January February March April May June July August September October November December".split()
    + _MONTH_ABBREVIATIONS
    + [m + "." for m in _MONTH_ABBREVIATIONS]  # the tokenizer keeps "Dec." whole
)


WEEKDAYS = frozenset("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())


# ---------------------------------------------------------------- COUNT
NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million billion dozen".split()
)


# Plural magnitudes that are counts on their own: "Thousands of Afghan soldiers".
VAGUE_MAGNITUDES = frozenset("dozens hundreds thousands millions scores tens".split())


# Words that bound or hedge a number and belong to the COUNT ("more than 300").
COUNT_BOUNDS = (
    ("more", "than"),
    ("fewer", "than"),
    ("less", "than"),
    ("at", "least"),
    ("at", "most"),
    ("up", "to"),
    ("as", "many", "as"),
    ("close", "to"),
    ("an", "estimated"),
    ("about",),
    ("around",),
    ("nearly",),
    ("almost",),
    ("approximately",),
    ("roughly",),
    ("some",),
    ("over",),
)


# Words that make a magnitude a quantity ("several hundred", "a dozen", "many thousands").
MAGNITUDE_PREFIXES = (("a", "few"), ("several",), ("a",), ("many",))


MAGNITUDES = frozenset("dozen hundred thousand million billion".split())


FRACTIONS = frozenset("half third quarter fifth tenth".split())


# A number followed by one of these measures time, distance, money or a rate: not a COUNT.
UNITS = frozenset(
    "year years yr yrs month months week weeks day days hour hours hrs minute minutes min mins "
    "second seconds decade decades century centuries night nights square sq cubic km kms kilometer kilometers "
    "kilometre kilometres mile miles meter meters metre metres m cm mm kg kilogram kilograms "
    "ton tons tonnes pound pounds lb lbs percent per cent % pct dollars dollar usd euros euro "
    "afghanis rupees p.m. a.m. pm am gmt utc o’clock o'clock times-old -year-old degrees °".split()
)


CURRENCY_SIGNS = frozenset("$ € £ ¥ ₹".split())


# ---------------------------------------------------------------- ACTION
_ACTION_FORMS = """
flee flees fled fleeing
cross crosses crossed crossing
seize seizes seized seizing seizure
capture captures captured capturing
withdraw withdraws withdrew withdrawn withdrawing withdrawal withdrawals
mobilize mobilizes mobilized mobilizing mobilization mobilise mobilises mobilised mobilising mobilisation
surrender surrenders surrendered surrendering
attack attacks attacked attacking
kill kills killed killing killings
advance advances advanced advancing
retreat retreats retreated retreating
clash clashes clashed clashing
fight fights fought fighting
march marched marching marches
enter enters entered entering
assassinate assassinates assassinated assassinating assassination
airstrike airstrikes air-strikes
offensive offensives counter-offensive counter-offensives counteroffensive
counter-attack counter-attacks counterattack counterattacks
defeat defeats defeated defeating
fell fallen
collapse collapses collapsed collapsing
incursion incursions
invade invades invaded invading invasion
bomb bombed bombing bombings
shell shelled shelling
storm stormed storming
overrun overran overrunning
abandon abandons abandoned abandoning
evacuate evacuates evacuated evacuating evacuation
deploy deploys deployed deploying deployment
sweep sweeps swept sweeping
raid raids raided raiding
ambush ambushes ambushed ambushing
reinforcements
leaving
return returns returned returning
"""


ACTION_WORDS = frozenset(_ACTION_FORMS.split())


# With the language layer (annotate/preannotate/actions.py) triggers are matched by lemma: one
# entry per lexeme and the parts of speech at which it names an event (V verb, N noun, A an
# adjective the tagger sometimes gives a noun: "the Taliban offensive"). "fire" is an event as a
# verb ("fired", "firing") but not as a noun ("the fire"); "target" likewise. Reporting verbs,
# states and opinions (schema/guidelines.md, ACTION) are not listed. Without the layer the rules
# read the inflected forms of ACTION_WORDS above, as they always have (the "rules alone" column).
_ACTION_LEXEMES = """
flee:V cross:V seize:V seizure:N capture:VN recapture:VN withdraw:V withdrawal:N
mobilize:V mobilise:V mobilization:N mobilisation:N surrender:VN attack:VN
kill:V killing:N advance:VN retreat:VN clash:VN fight:VN fighting:N march:VN enter:V
assassinate:V assassination:N airstrike:N air-strike:N strike:VN offensive:NA
counter-offensive:NA counteroffensive:NA counter-attack:VN counterattack:VN defeat:VN
collapse:VN incursion:N invade:V invasion:N bomb:V bombing:N shell:V shelling:N storm:V
overrun:V abandon:V evacuate:V evacuation:N deploy:V deployment:N sweep:V raid:VN ambush:VN
reinforcement:N return:V fire:V firing:N explode:V explosion:N blast:N battle:VN
bombard:V bombardment:N target:V retake:V shoot:V shooting:N fall:V leave:V
destroy:V destruction:N engage:V damage:V isolate:V isolation:N suppress:V eliminate:V
degrade:V assault:VN liberate:V liberation:N regain:V recapture:V besiege:V siege:N
confront:V clear:V disable:V scatter:V pursue:V crackdown:N uprising:N insurgency:N
die:V death:N injure:V wound:V murder:VN slaughter:VN torture:N execution:N behead:V
kidnap:V atrocity:N bloodshed:N brutalize:V oppress:V displace:V lose:V loss:N victory:N
visit:VN fly:V travel:V deliver:V delivery:N join:V integrate:V integration:N exercise:N
operation:N conflict:N campaign:N war:N violence:N
"""


_POS_CODES = {"V": "VERB", "N": "NOUN", "A": "ADJ"}


ACTION_LEXEMES: dict[str, frozenset[str]] = {
    lemma: frozenset(_POS_CODES[c] for c in codes)
    for lemma, codes in (entry.split(":") for entry in _ACTION_LEXEMES.split())
}


# Lemmas only some inflections of which name an event: "left" is a direction or a result far more
# often than a departure ("the attack left 10 dead"), "prices fall" is no event but "Kabul fell"
# is; only these forms of them fire (the noun "fall" fires before "of": ACTION_NEEDS_NEXT).
ACTION_ONLY_FORMS = {"leave": frozenset({"leaving", "leaves"}), "fall": frozenset({"fell", "fallen"})}


# "fall" names an event only as "the fall of ..."; elsewhere it is a season or a verb of price.
ACTION_NEEDS_NEXT = {"fall": frozenset({"of"})}


# Event nouns that are ACTIONs only where they refer to a particular event (guidelines V4: "their
# operation", "the Syrian conflict", "the civil war in Syria"), not used generically ("in battle",
# "violence in conflict"): with the layer they fire only with a determiner, possessor, modifier or
# prepositional phrase of their own.
SPECIFIC_ONLY = frozenset(
    "operation conflict campaign war violence battle fight fighting offensive strike raid bombardment attack".split()
)


# Events whose subject is the one who dies or is hurt, never their agent (guidelines V10).
NO_AGENT_LEMMAS = frozenset("die death injure wound loss lose".split())


# Verbs whose subject undergoes the event of their object or clause ("civilians are facing
# shelling"): it is never that event's agent (guidelines R4).
SUFFERING_VERBS = frozenset("face suffer endure experience undergo witness flee escape".split())


# Lexicalised event pairs labelled whole (guidelines V6, V8), by the head's lemma: "civil war",
# "air strikes", "air support", "coup attempt", "military action".
LEXICALISED_EVENTS = {
    "war": frozenset({"civil"}),
    "strike": frozenset({"air"}),
    "support": frozenset({"air"}),
    "attempt": frozenset({"coup"}),
    "action": frozenset({"military"}),
}


# Heads of named events, one ACTION span with the capitalised words around them (guidelines V5):
# "Operation Inherent Resolve", "Exercise Eager Lion 16" (led), "the Gulf War" (ended).
NAMED_EVENT_LEADS = frozenset({"Operation", "Exercise"})


NAMED_EVENT_TAILS = frozenset({"War"})


# Verbs whose object names the event they carry out ("forces conducted 26 strikes", "launched an
# offensive"): the object ACTION takes the verb's subject as its agent (preannotate/parsed.py).
LIGHT_VERBS = frozenset(
    "conduct launch carry stage mount begin continue intensify wage undertake execute perform resume escalate".split()
)


# Multi-word triggers by the lemma of their first word (the layer) : "took full control".
ACTION_LEMMA_PHRASES = (("take", "full", "control"), ("take", "refuge"), ("take", "control"), ("step", "up"))


# Multi-word triggers, labelled whole (guidelines: phrasal verbs and take-idioms).
ACTION_PHRASES = (
    ("step", "up"),
    ("steps", "up"),
    ("stepped", "up"),
    ("stepping", "up"),
    ("take", "refuge"),
    ("takes", "refuge"),
    ("took", "refuge"),
    ("taken", "refuge"),
    ("taking", "refuge"),
    ("take", "control"),
    ("takes", "control"),
    ("took", "control"),
    ("taken", "control"),
    ("taking", "control"),
    ("take", "full", "control"),
    ("took", "full", "control"),
    ("taken", "full", "control"),
    ("taking", "full", "control"),
)


# ---------------------------------------------------------------- ACTOR
# Named organisations and armed groups, matched case-sensitively.
ORGANISATIONS = (
    "Taliban",
    "NATO",
    "UN",
    "United Nations",
    "European Union",
    "EU",
    "AFP",
    "Reuters",
    "Associated Press",
    "RIA Novosti",
    "TASS",
    "Interfax",
    "Al Jazeera",
    "BBC",
    "CNN",
    "al-Qaeda",
    "Al-Qaeda",
    "al Qaeda",
    "ISIS",
    "ISIL",
    "Islamic State",
    "Daesh",
    "Da’esh",
    "Da'esh",
    "Hezbollah",
    "Hamas",
    "Pentagon",
    "Kremlin",
    "Red Cross",
    "Jamiat-e-Islami",
    "Haqqani network",
    "SDF",
    "YPG",
    "PKK",
    "Peshmerga",
    "al-Shabaab",
    "Boko Haram",
    "Wagner",
    "CIA",
    "FBI",
    "Amnesty International",
    "Human Rights Watch",
    "UNHCR",
    "IOM",
    "ICRC",
)


# Capitalised organisation heads: "State Committee for National Security", "Afghan Interior Ministry".
ORGANISATION_HEADS = frozenset(
    "Ministry Committee Council Services Service Forces Army Agency Front Party Movement "
    "Organisation Organization Department Command Coalition Alliance Brigade Battalion "
    "Government Guard Police Commission Office Directorate Corps".split()
)


ORGANISATION_CONNECTORS = frozenset({"for", "of", "and", "on"})


# Group nouns that head an ACTOR; those in GROUP_HEADS_ALONE are ACTORs even unmodified.
GROUP_HEADS = frozenset(
    "soldiers soldier troops troop forces fighters fighter militants militant insurgents insurgent "
    "servicemen serviceman officials official reservists militias militia militiamen authorities "
    "police army government rebels rebel civilians refugees commanders commander personnel "
    "guards warlords regime coalition battalion jihadists jihadist extremists terrorists gunmen "
    "gunman bomber bombers council policemen recruits veterans paramilitaries".split()
)


GROUP_HEADS_ALONE = frozenset(
    "soldiers troops forces fighters militants insurgents servicemen officials reservists "
    "militias militiamen authorities rebels gunmen government jihadists policemen "
    "paramilitaries warlords battalion".split()
)


GROUP_MODIFIERS = frozenset(
    "government national security defense defence army police intelligence military provincial "
    "senior local border coalition international allied special armed opposition rebel "
    "islamist militant tribal pro-government anti-government suicide elite regular naval air "
    "northern southern eastern western federal state interior foreign afghan-led".split()
)


DEMONYMS = frozenset(
    "Afghan Tajik Uzbek Turkmen Kyrgyz Kazakh Pakistani Iranian Iraqi Syrian Turkish Russian "
    "Chinese Indian American British French German Italian Spanish Ukrainian Kurdish Arab Saudi "
    "Israeli Palestinian Lebanese Jordanian Egyptian Libyan Yemeni Qatari Emirati Somali "
    "Sudanese Nigerian Malian European Western Soviet Pashtun Hazara Baloch Australian "
    "Canadian Japanese Korean Polish".split()
)


# Words before a group noun that never belong to an ACTOR's extent (they are bare quantifiers:
# schema/guidelines.md, COUNT).
NP_QUANTIFIERS = frozenset(
    "other many several some all more most few such own same both each various numerous any "
    "certain additional further remaining".split()
)


# Words before a name that say a person follows: "spokesman Zabihullah Mujahid".
PERSON_CUES = frozenset(
    "President president General Gen. leader spokesman spokeswoman adviser advisor minister "
    "Minister commander Commander Colonel Col. Lt. Sgt. Captain Capt. Major Maj. chief Chief "
    "Secretary secretary Governor governor fighter analyst member official Mr. Mrs. Ms. Dr. "
    "Prime Sheikh Mullah Imam Lieutenant Admiral Senator said told according".split()
)


PRONOUNS_AND_FUNCTION = frozenset(
    "He She It They We I You His Her Its Their Our The A An This That These Those There Here "
    "But And Or If When While As In On At For From By With Since After Before According "
    "Even Yet Still Also So Then Last Next".split()
)


# With the layer: people nouns that are ACTORs as common nouns, by lemma (guidelines A3, A9: the
# people affected, forces and institutions, titles standing alone); "regime" only with a name (A4).
PEOPLE_LEMMAS = frozenset(
    "civilian people community party partner ally leader medium media journalist refugee terrorist "
    "navy resident child woman victim citizen individual person student organisation organization "
    "coalition minister secretary adviser advisor officer family friend backer donor activist "
    "society population member representative employee protester casualty opposition nation "
    "government council soldier troop force fighter militant official authority army police "
    "insurgent rebel commander extremist jihadist gunman worker unit team network group "
    "militia spokesman spokeswoman regime marine hostage prisoner".split()
)


# These need a modifier of their own to be an ACTOR ("the group" alone is a back-reference).
PEOPLE_NEED_MODIFIER = frozenset("group unit team network nation member regime".split())


# Adjectives of opinion, state or time left out of an ACTOR's extent (guidelines A6): "innocent
# civilians" -> "civilians"; identifying ones ("tactical units", "moderate opposition") stay.
EVALUATIVE = frozenset(
    "innocent brave brutal heroic courageous vicious barbaric barbarous evil cowardly ruthless terrible "
    "horrific murderous bloody savage valiant dear beloved great current former previous new old "
    "young entire whole many numerous various other certain own same remaining additional further "
    "key main major important only own dedicated".split()
)


# Words of a title or rank before a person's name, left out of the name (guidelines A2): "Army Lt.
# Gen. Stephen J. Townsend" -> "Stephen J. Townsend" (the layer's PERSON entities; with PERSON_CUES).
TITLE_WORDS = frozenset(
    "Army Navy Air Marine Marines Petty Officer Senior Junior Chief Deputy Foreign Office Defence "
    "Defense Spokesperson Staff Sgt. Sergeant Cpl. Corporal Pvt. Private Gen. Brig. Lt. Col. Maj. "
    "Capt. Cmdr. Commodore Rear Vice Adm. Admiral Ambassador Special Envoy Representative HE Dr "
    "Dr. Prof. Professor Sir Lord Lady Excellency His Her King Queen Prince Emir Sheikh Ayatollah "
    "Secretary-General Undersecretary Under Assistant State Home Interior Prime Minister "
    "Secretary General Commander".split()
)
