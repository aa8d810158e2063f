"""triage: fills in a request's kind and priority from its text. For now an editable keyword rule table
(被锁门外 → urgent, 安装 → installation, 投诉 → complaint …); the classifier of the triage issue replaces
the internals behind the same ``service.classify`` call.

Depends on: core. Entry points: ``service.classify``, ``service.list_rules|add_rule|delete_rule``;
API ``/api/v1/triage/rules``; CLI ``aftersales triage rules``.
"""
