"""mailer: official circular letters for a Russian government office."""

__version__ = "0.1.0"
