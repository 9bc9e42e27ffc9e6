"""Every change to money, one module per topic.

- ``payments``: points bought and invoices paid through a gateway; settling, failing,
  cancelling a payment; people confirming a manual payment.
- ``holds``: points reserved on a wallet for a live session, released in part or whole.
- ``charges``: a session's charge (pricing → ledger, prepaid from the hold, postpaid to
  an invoice), refunds and adjustments by staff.
- ``invoices``: issuing, paying from points, recording cash, reminders.
- ``payouts``: commission rates, payout requests and their approval.
"""
