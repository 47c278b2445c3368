"""Learning services (drills, debriefs, incidents, outreach, statistics, retention).

One bundle, `bundle.Learning`, is the one field they take in Services.
"""
