"""notifications: the outbox and its delivery. Use cases write a notification in the same transaction as
the change (``service.enqueue``, or ``service.enqueue_many`` for a batch): every message is a kind with
its context, rendered from the kind's Chinese template in ``rendering`` at enqueue (an unknown kind or a
missing field is refused before anything is written); a dedupe key makes every enqueue idempotent. The
sender job (``jobs.deliver_due``) claims due rows under a lease (``sender``), sends them outside any
transaction through ``channels`` (SMTP, signed webhook, WeCom group robot, SMS adapter), and records the
outcome: retries with exponential backoff and jitter, dead letters after the last attempt. Delivery is at-least-once; the dedupe key travels as idempotency key.
``rules`` holds the pure parts (quiet hours, backoff, signatures, what routing rules accept and match);
``preferences`` the customers' opt-outs and own quiet hours. ``routing`` keeps the admins' routing rules: a
new internal message (always in its recipients' inbox, ``inbox``) is also copied to the WeCom robot, mailbox
or webhook of every active rule for its event and organisation (or city), once per event and rule.

Depends on: core, config, accounts (organisations, audit), customers (phones). Entry points:
``service.enqueue``, ``service.enqueue_many``, ``service.list_outbox``, ``preferences.set_preference``,
``preferences.choose_channel``, ``jobs.deliver_due``, ``routing.create_rule``, ``routing.channels_for``;
CLI ``aftersales notifications deliver|list|retry``; console ``console`` (the inbox) and ``console_admin``
(routing rules, the outbox, customers' preferences).
"""
