"""Every change the messaging domain makes: ``threads`` (sending, reading, booking notes,
blocks, refunds), ``reports`` (reports and staff decisions) and ``mail`` (the e-mail for
unread messages)."""
