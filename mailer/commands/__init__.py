"""The commands of `mailer`, one module per concern; `mailer.cli` registers them on its group.

At start-up these modules import only Click and the CLI's own helpers, so that `mailer --help`
stays instant: each command imports the core it calls when it runs.
"""
