"""Role-card versions: upload, check (`checks`), activate and acknowledge (`versions`)."""
