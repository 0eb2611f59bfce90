"""The verdict engine: is a story new, a new detail of a known one, or a retelling?

Its stages, each a module that opens with its contract:

    text        a body as sentences: title, datelines and page chrome out
    readings    a sentence's terms, rarity weights, names, numbers and dates
    keys        locality-sensitive keys that find similar facts and stories
    candidates  which known facts and stories to compare (asked of the store)
    alignment   how much of a fact is known, by words and by meaning
    conflicts   a known fact with another value (a vote, a date, a count)
    facts       each fact of a story judged new or known
    verdict     retelling, new detail or new story, and why; `summary` for new stories

It reads only `watchers.models` and asks the store through the `Knowledge` protocol.
"""
