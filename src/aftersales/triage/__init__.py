"""triage: fills in a request's kind and priority from its text — an editable keyword rule table
(被锁门外 → urgent, 安装 → installation, 投诉 → complaint …) over a trained classifier (kind, priority,
product, fault type, sentiment, anger) stored as versions that can be activated and rolled back.

Depends on: core, tickets (closed tickets as training history). Entry points: ``service.classify``,
``service.list_rules|add_rule|update_rule|delete_rule``; ``learning.analyse|train_and_store|activate_version``;
API ``/api/v1/triage``; CLI ``aftersales triage rules|models|train|evaluate``; console ``/console/triage``
(``console``: rules, model versions, try a text).
"""
