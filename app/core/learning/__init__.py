"""Learning after alarms (drills, debriefs, statistics, outreach, retention) as pure functions."""
