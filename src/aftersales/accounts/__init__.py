"""accounts: users, roles, organisations (a tree: HQ, region, service center, partner provider),
API tokens (stored hashed, shown once), permissions and the append-only audit log.

Depends on: core. Entry points: ``service`` (create_user, verify_password, record_audit), ``tokens``
(create_token, authenticate_token), ``sessions`` (console sign-in), ``directory`` (the admin's user list
and edits, the organisation tree), ``audit_log`` (reading the log), ``cli`` (``aftersales
users|tokens|orgs``), ``api`` (``/api/v1/me``, ``/api/v1/audit``), ``console`` (sign-in) and ``admin``
(``/console/admin/users``, ``/console/admin/organisations``, ``/console/admin/audit``).
"""
