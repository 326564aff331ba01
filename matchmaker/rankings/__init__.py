"""Rankings (打榜): boards of brokers, institutions and enterprises built from records only.

formulas.py holds the boards, their formulas and the period maths (pure); queries.py loads
the records; views.py and export.py show and export them."""
