"""``watchwire demo`` and its parts, reusable by tests: a local news site, a webhook receiver.

- ``NewsSite``: article pages with real page chrome, a listing, RSS, a Google News sitemap and
  robots.txt on 127.0.0.1; stories are published and edited while it runs.
- ``WebhookReceiver``: verifies Standard Webhooks signatures and records the alerts.
- ``run_demo``: both of them, plus the real service on a temporary config, narrated.

The stories ship in ``content/`` (see ``stories.py`` for the format). Standard library only,
apart from watchwire itself.
"""

from watchwire.demo.receiver import (
    ReceivedWebhook,
    RejectedWebhook,
    SignatureError,
    WebhookReceiver,
    new_secret,
    verify_signature,
)
from watchwire.demo.run import DEMO_RULE, DEMO_TERMS, demo_config, run_demo
from watchwire.demo.site import LoggedRequest, NewsSite
from watchwire.demo.stories import Story, Teaser, load_stories, shipped_story_slugs

__all__ = [
    "DEMO_RULE",
    "DEMO_TERMS",
    "LoggedRequest",
    "NewsSite",
    "ReceivedWebhook",
    "RejectedWebhook",
    "SignatureError",
    "Story",
    "Teaser",
    "WebhookReceiver",
    "demo_config",
    "load_stories",
    "new_secret",
    "run_demo",
    "shipped_story_slugs",
    "verify_signature",
]
