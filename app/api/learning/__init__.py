"""Learning over HTTP: drills, debriefs, incidents, statistics and outreach (`drills.ROUTERS`)."""
