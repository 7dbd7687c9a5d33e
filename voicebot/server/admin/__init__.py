"""The admin dashboard served at `/admin` (read-only), and its JSON API for scripts."""

from voicebot.server.admin.routes import install

__all__ = ["install"]
