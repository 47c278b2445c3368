"""The composition root's builders, one per area: storage, broker, dispatch, handsets, learning,
supervision. `app.main._running` calls them in order; each builds its area from what the
earlier ones built and registers its shutdown on the exit stack. Nothing here runs at import."""
