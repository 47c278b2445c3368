"""Web Push: the VAPID key and the sender (pywebpush: RFC 8291 encryption, RFC 8292 VAPID)."""
