"""accounts: users, roles, organisations (a tree: HQ, region, service center, partner provider),
API tokens (stored hashed, shown once), permissions and the append-only audit log.

Depends on: core. Entry points: ``service`` (create_user, create_token, authenticate_token, record_audit),
``cli`` (``aftersales users|tokens|orgs``), ``api`` (``/api/v1/me``, ``/api/v1/audit``).
"""
