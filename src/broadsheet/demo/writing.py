"""The demo newsroom's words: a fictional river valley and its neighbours, told neutrally.

Every name here is invented. Stories are assembled from a headline written for them and
paragraphs drawn (deterministically) from pools, so each reads differently.
"""

from __future__ import annotations

import random

SITE_NAME = "The Riverton Courier"
TAGLINE = "News from the Calder Valley and beyond"
FOOTER = "The Riverton Courier is a fictional newspaper: demo content for Broadsheet."

AUTHORS = [
    ("Imogen Reyes", "Environment correspondent",
     "Imogen has covered the Calder river, its floods and its wildlife for a decade."),
    ("Tomasz Hale", "Local government reporter",
     "Tomasz follows the council chamber, the budget and the roads that run out of it."),
    ("Priya Lindqvist", "Science editor",
     "Priya writes about research at Calder University and what it means beyond the lab."),
    ("Oluwaseun Marsh", "Business and markets",
     "Seun reports on the valley's firms, its markets and the people who work in them."),
    ("Aiko Brennan", "Culture and sport",
     "Aiko reviews the valley's stages and follows its teams from the touchline."),
]

# section -> (intro, [(headline, dek, tags)])
SECTIONS = {
    "World": ("Stories from beyond the valley.", [
        ("Northern Seas Council agrees shared rules for fishing quotas",
         "Delegates from five coastal states settle a dispute that ran for three seasons",
         ["Northern Seas Council", "Fishing"]),
        ("Island republic of Vesta opens its first deep-water port",
         "The harbour is expected to double the island's trade within five years",
         ["Vesta", "Trade"]),
        ("Drought eases across the southern plains after autumn rains",
         "Reservoirs are back above half capacity for the first time since spring",
         ["Weather", "Water"]),
        ("Mountain rail link between Aurel and Kessing reopens",
         "Engineers finished repairs to the tunnel two weeks ahead of schedule",
         ["Rail", "Aurel"]),
        ("Regional summit sets goals for cleaner coastal waters",
         "Ministers promise joint monitoring of beaches and estuaries",
         ["Northern Seas Council", "Water"]),
        ("Vesta and Aurel sign agreement on student exchanges",
         "Two hundred places a year will be open to pupils and apprentices",
         ["Vesta", "Aurel", "Schools"]),
        ("Storm season ends early along the western coast",
         "Forecasters say the calmer weather should hold into the new year",
         ["Weather"]),
    ]),
    "Europe": ("Our neighbours across the water.", [
        ("Lake towns of the Eastmark vote to pool their ferry services",
         "A single timetable should cut waiting times for commuters",
         ["Ferries", "Eastmark"]),
        ("Old observatory in Kessing becomes a public library",
         "The dome will house a reading room open until midnight",
         ["Libraries", "Kessing"]),
        ("Cross-border cycling route reaches its final section",
         "The 400-kilometre path now links six river valleys",
         ["Cycling", "Rail"]),
    ]),
    "Local": ("Riverton and the Calder Valley.", [
        ("Council approves new footbridge over the Calder",
         "The crossing will link the market square with the east bank by next summer",
         ["Calder river", "Riverton Council"]),
        ("Riverton library extends its opening hours",
         "Evening sessions begin next month after a survey of readers",
         ["Libraries", "Riverton Council"]),
        ("Volunteers plant 2,000 trees along the flood meadows",
         "The new woodland is meant to slow water before it reaches the town",
         ["Calder river", "Flood defences"]),
        ("Bus timetable changes aim to shorten school journeys",
         "Three routes will run earlier on weekday mornings",
         ["Transport", "Schools"]),
        ("Market square to host winter lantern festival",
         "Stallholders and schools are making more than 500 lanterns",
         ["Festivals", "Market square"]),
        ("Flood defences pass their first winter test",
         "The new walls held back the river during last week's high water",
         ["Flood defences", "Calder river"]),
        ("Cycle lanes on Mill Road to be widened",
         "Work starts in spring and will take about eight weeks",
         ["Cycling", "Transport"]),
    ]),
    "Science": ("Research from the valley's labs and fields.", [
        ("Otters return to the upper Calder after thirty years",
         "Camera traps confirm at least two families along the upper reaches",
         ["Calder river", "Wildlife"]),
        ("University team maps the valley's underground streams",
         "The survey could help planners decide where to build",
         ["Calder University", "Water"]),
        ("School science fair winners build a rain-measuring network",
         "Forty home-made gauges now report to a shared online map",
         ["Schools", "Weather"]),
        ("Bee counts rise in meadows left uncut over summer",
         "Researchers counted twice as many pollinators as in mown verges",
         ["Wildlife", "Calder University"]),
        ("New telescope at Calder University sees first light",
         "The instrument will be open to school groups on clear Fridays",
         ["Calder University", "Schools"]),
        ("Study finds quieter streets help songbirds sing less loudly",
         "Recordings from twelve neighbourhoods point to the effect of traffic",
         ["Wildlife", "Transport"]),
    ]),
    "Business": ("Firms, markets and work in the valley.", [
        ("Riverton bakery chain opens its fifth shop",
         "The family firm says it will hire twenty more staff",
         ["Market square", "Jobs"]),
        ("Textile mill turns to recycled wool",
         "The change follows orders from three clothing makers",
         ["Manufacturing", "Jobs"]),
        ("Farmers' market reports its busiest autumn",
         "Takings were up by a fifth on the same months last year",
         ["Market square", "Farming"]),
        ("Valley firms join scheme to share electric vans",
         "Twelve businesses will book vans through a shared app",
         ["Transport", "Jobs"]),
        ("Apprenticeships at the rail depot double",
         "The depot says it needs more engineers as the fleet grows",
         ["Rail", "Jobs"]),
        ("Cheese makers win regional prize for a river-washed rind",
         "The small dairy sells most of its output at the market",
         ["Farming", "Festivals"]),
    ]),
    "Culture": ("Stages, pages and screens.", [
        ("Calder Valley Orchestra announces a season of new music",
         "Five of the eight programmes include pieces written for the orchestra",
         ["Calder Valley Orchestra", "Music"]),
        ("Riverton theatre restores its painted ceiling",
         "Conservators spent fourteen months on the nineteenth-century panels",
         ["Theatre", "Riverton Council"]),
        ("Poetry trail brings verses to riverside benches",
         "Thirty poems by local writers are carved into oak",
         ["Calder river", "Libraries"]),
        ("Film club screens silent classics with live piano",
         "The monthly evenings have sold out since they began",
         ["Music", "Festivals"]),
        ("Children's choir prepares for the lantern festival",
         "Rehearsals moved to the town hall to fit 120 singers",
         ["Music", "Festivals"]),
        ("Local history archive puts old maps online",
         "More than 300 maps from the valley can now be searched",
         ["Libraries", "Calder University"]),
    ]),
    "Sport": ("Teams, races and results.", [
        ("Riverton Rovers win the valley cup on penalties",
         "The final ended level after extra time in front of a record crowd",
         ["Riverton Rovers", "Football"]),
        ("Rowing club adds a junior squad",
         "Training on the Calder will run on Saturday mornings",
         ["Rowing", "Calder river"]),
        ("Hill race returns after two-year break",
         "Runners will climb 600 metres over the twelve-kilometre course",
         ["Running", "Festivals"]),
        ("Netball league expands to ten teams",
         "Two village sides join for the new season",
         ["Netball", "Schools"]),
        ("Cyclists raise funds for the riverside path",
         "A hundred riders completed the round-the-valley loop",
         ["Cycling", "Calder river"]),
        ("Rovers sign goalkeeper from the coastal league",
         "The manager says the squad is now complete for the winter",
         ["Riverton Rovers", "Football"]),
    ]),
}

# Where stories are reported from: a place named in the story's topics, else the desk's home.
PLACES = {"Vesta": "PORT VESTA", "Aurel": "AUREL", "Kessing": "KESSING",
          "Eastmark": "EASTMARK", "Northern Seas Council": "CALLIS"}
DESK_DATELINES = {"World": "CALLIS", "Europe": "KESSING", "Science": "CALDER BRIDGE"}
HOME_DATELINE = "RIVERTON"

# A summary, where a story has one, is its dek with a promise of what the story adds.
SUMMARY_TAILS = [", and what happens next.", ": the figures behind it.",
                 ": what it means for the valley.", ", and the questions still open."]

OPENINGS = [
    "{lead} The announcement came on {day}, after months of discussion.",
    "{lead} The news was confirmed on {day} by those involved.",
    "{lead} Details were set out in a short statement on {day}.",
    "{lead} Those behind the plan described it on {day} as a first step rather than "
    "a final answer.",
]
# One paragraph from the desk's own pool makes a story sound like its section.
DESK_PARAGRAPHS = {
    "World": [
        "Delegations met over three days in the council's hall in Callis, where the final "
        "text was read aloud clause by clause before the vote.",
        "Officials from the neighbouring states will meet again in {month} to review how "
        "the arrangement is working in practice.",
    ],
    "Europe": [
        "Across the water, the change has been followed closely: several towns in the "
        "Eastmark have tried something similar, with mixed results.",
        "The regional assembly is expected to publish its own assessment in {month}.",
    ],
    "Local": [
        "Councillors voted {votes} in favour at Thursday's meeting in the town hall, with "
        "two abstentions.",
        "Residents of the east bank, who will be most affected, are invited to a drop-in "
        "session at the community centre on Mill Road.",
    ],
    "Science": [
        "The findings have been submitted for peer review, and the team has published its "
        "data so that others can check the work.",
        "\"Ten years ago we could not have measured this at all,\" said one of the "
        "researchers. \"Now a handful of volunteers with cheap sensors can.\"",
    ],
    "Business": [
        "Turnover at the firms involved rose by {pct} per cent last year, according to "
        "accounts filed in the spring.",
        "The chamber of commerce said smaller traders would be offered advice sessions "
        "before the change takes effect.",
    ],
    "Culture": [
        "Tickets go on sale at the box office in {month}; concessions are available for "
        "students and for anyone under eighteen.",
        "The programme was chosen by a panel that included two teenagers from the "
        "valley's youth theatre.",
    ],
    "Sport": [
        "Attendance has grown every season for five years, and the club says it now "
        "has a waiting list for junior places.",
        "The next fixture is at home on Saturday, with the gates opening an hour early "
        "for a charity collection.",
    ],
}
MIDDLES = [
    "People who live nearby said they had been waiting for this for some time. \"It is good "
    "to see something happen at last,\" said one resident, who asked not to be named.",
    "The cost is expected to be about {money}, most of it already set aside in last year's "
    "budget. A further review will take place in {month}.",
    "Figures published alongside the plan show an increase of {pct} per cent over the past "
    "five years, the largest rise recorded in the valley.",
    "Those involved say the work was shaped by comments from more than {count} people who "
    "took part in public meetings and an online survey.",
    "Organisers stressed that nothing would change overnight. The first steps are planned "
    "for {month}, with a fuller update promised in the new year.",
    "Not everyone is convinced. Some questioned the timing, while others asked whether the "
    "money might be better spent elsewhere; both points will be discussed at the next meeting.",
    "A spokesperson said the decision reflected \"a careful look at what has worked elsewhere "
    "and what fits a place the size of ours.\"",
    "Records kept since the 1970s suggest the change is unusual but not unprecedented, and "
    "local historians have been asked to help put it in context.",
]
CLOSINGS = [
    "More information is available from the council offices on Bridge Street.",
    "A public meeting to discuss the plans will be held at the town hall in {month}.",
    "The Courier will follow the story as it develops.",
    "Anyone who wants to take part can register at the library or online.",
]
SUBHEADS = ["What happens next", "The background", "What people are saying", "The numbers"]
QUOTES = [
    ("We wanted to do this properly, not quickly.", "A project organiser"),
    ("It is the kind of change you only notice once it is there.", "A local resident"),
    ("The data speaks for itself, but we will keep measuring.", "A researcher involved"),
]
COMMENTS = [
    "Good to see this finally happening. Took long enough!",
    "I walked past there yesterday and you can already see the difference.",
    "Does anyone know whether this will affect the Saturday market?",
    "Thanks for a clear write-up. The numbers in the middle were helpful.",
    "My grandparents used to talk about how it was in the old days. Nice to read this.",
    "I'd like to see a follow-up in six months to check it actually worked.",
    "Great news for the kids in our street.",
    "Not sure about the cost, but the idea is sound.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
MONTHS = ["January", "February", "March", "April", "May", "June"]


def dateline_for(section: str, tags: list[str]) -> str:
    for tag in tags:
        if tag in PLACES:
            return PLACES[tag]
    return DESK_DATELINES.get(section, HOME_DATELINE)


def body_for(rng: random.Random, headline: str, dek: str, section: str = "") -> list:
    """A story body of 5 to 8 paragraphs, sometimes with a subhead, pull quote or list."""
    fill = {"day": rng.choice(DAYS), "month": rng.choice(MONTHS),
            "money": f"{rng.randint(2, 90) * 10_000:,} crowns", "pct": rng.randint(5, 40),
            "count": rng.randint(2, 12) * 100, "votes": rng.randint(14, 30),
            "lead": dek.rstrip(".") + "."}
    blocks = [("paragraph", f"<p>{rng.choice(OPENINGS).format(**fill)}</p>")]
    middles = rng.sample(MIDDLES, rng.randint(3, 5))
    if section in DESK_PARAGRAPHS:
        middles.insert(rng.randint(0, 1), rng.choice(DESK_PARAGRAPHS[section]))
    for n, text in enumerate(middles):
        if n == 1 and rng.random() < 0.6:
            blocks.append(("subhead", rng.choice(SUBHEADS)))
        blocks.append(("paragraph", f"<p>{text.format(**fill)}</p>"))
        if n == 2 and rng.random() < 0.5:
            quote, who = rng.choice(QUOTES)
            blocks.append(("pull_quote", {"quote": quote, "attribution": who}))
    if rng.random() < 0.3:
        blocks.append(("list", {"ordered": False, "items": [
            f"Next meeting: {fill['month']}", f"Estimated cost: {fill['money']}",
            "Contact: the Courier newsdesk"]}))
    blocks.append(("paragraph", f"<p>{rng.choice(CLOSINGS).format(**fill)}</p>"))
    return blocks


BRIEFING_DESCRIPTION = ("The morning's top stories from the valley, with our editors' picks and "
                        "what readers are reading, every day at seven.")
BRIEFING_INTRO = ("Good morning. Here is what is happening in Riverton and the valley today, "
                  "and what our reporters are working on.")
ALERTS_DESCRIPTION = "A short e-mail when a big story breaks, and only then."
