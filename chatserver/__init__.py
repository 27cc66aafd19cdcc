"""chatserver: self-hosted live chat for websites, an FAQ bot first and humans behind it."""

__version__ = "0.1.0"
