"""What comes back after a letter: reading mailboxes, telling replies from auto-replies, bounces
and read receipts, and matching each to the recipient it answers."""
