"""notifications: the outbox. Use cases write a notification in the same transaction as the change;
senders (SMTP, webhook, WeCom, SMS adapters) deliver later. A dedupe key makes every enqueue idempotent.

Depends on: core. Entry points: ``service.enqueue``, ``service.list_outbox``.
"""
