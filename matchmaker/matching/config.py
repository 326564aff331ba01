"""Default weights and thresholds of the matcher; the app may override them (MATCH_WEIGHTS)."""

# Relevance = weighted mean of text similarity and chain fit. Business fit (TRL, transfer mode,
# price, region) then scales relevance: a perfect fit keeps it, the worst fit removes
# `fit_share` of it. Weights were tuned on three benchmarks side by side (`python -m bench.tune`:
# the seed judgments, judged real market listings, CSL related papers); no rule keys on a record.
DEFAULT_WEIGHTS = {
    "text": 0.85,
    "chain": 0.15,
    "trl": 0.35,
    "mode": 0.30,
    "price": 0.20,
    "region": 0.15,
    "fit_share": 0.30,
}

# Word and character-bigram cosines are mixed into one text similarity. 0.4 since one-character
# words joined the word channel (0.2 before): on the dev real needs the pair gained ~3 %
# NDCG@10 over 0.2, seed unchanged (bench/README.md, "Tried on dev only").
CHAR_SHARE = 0.4
# Cosine at which the text component saturates at 1.0 (cosines of good pairs are ~0.2–0.5).
TEXT_SATURATION = 0.6
# A profile with fewer distinct specific words (text.GENERIC_WORDS aside) than this cannot be
# matched honestly ("电解槽" alone, "氢能技术，待定"); three are enough for a short but specific
# title (小功率大扭矩电机): real market listings are often that short.
MIN_CONTENT_WORDS = 3
# How many shared terms an explanation lists.
SHARED_TERMS = 6
# Up to this many indexed profiles, an update keeps IDF exact by reweighing every row (a few
# milliseconds); above it IDF is frozen between refits so that an update stays ~constant time.
EXACT_IDF_LIMIT = 20_000
# Pseudo-relevance feedback: the query is widened by FEEDBACK_WEIGHT × the mean vector of its
# FEEDBACK_DOCS best candidates before the final text similarity (0 switches it off). Off by
# default: at 0.3 it gained ~1 % NDCG@10 on the seed benchmark but lost ~8 % on real market
# listings (benchmark D) and ~2 % on CSL related papers (bench/README.md, "Tuning on real data").
FEEDBACK_DOCS = 10
FEEDBACK_WEIGHT = 0.0
FEEDBACK_TERMS = 40  # word terms added per query (twice as many character bigrams)
# Share of an explicitly chosen chain in a profile's chain mix; the rest follows the text.
EXPLICIT_CHAIN_SHARE = 0.7
# Rows scored in full per query before the exact upper-bound check adds any others (at least
# ten times the list's length). Any size gives the same rankings; since the bound reads each
# row's chain, a pool of 100 seldom needs more (bench/README.md, "Speed").
CANDIDATE_POOL = 100
# Query terms used in the first-pass product (twice as many character bigrams); the rest,
# the weakest, are dropped for speed. Explanations still see the whole query.
QUERY_TERMS = 60
# A fit of at least this many profiles (outputs and needs) is analysed by one process per core
# (Matcher's n_jobs); below it a worker's start and the return of its counts cost more than
# the work they share (bench/README.md, "Speed").
PARALLEL_PROFILES = 4_000
