"""Imports every package's models so the metadata is complete (for Alembic and the test schema)."""

from aftersales.accounts import models as accounts_models
from aftersales.analytics import models as analytics_models
from aftersales.core.db import Base
from aftersales.customers import models as customers_models
from aftersales.dispatch.fieldwork import models as fieldwork_models
from aftersales.dispatch.network import models as network_models
from aftersales.dispatch.planning import models as planning_models
from aftersales.feedback import models as feedback_models
from aftersales.knowledge import models as knowledge_models
from aftersales.notifications import models as notifications_models
from aftersales.quality import models as quality_models
from aftersales.sla import models as sla_models
from aftersales.tickets import models as tickets_models
from aftersales.tickets.saved_filters import models as saved_filters_models
from aftersales.triage import models as triage_models

__all__ = [
    "Base",
    "accounts_models",
    "analytics_models",
    "customers_models",
    "feedback_models",
    "fieldwork_models",
    "knowledge_models",
    "network_models",
    "notifications_models",
    "planning_models",
    "quality_models",
    "saved_filters_models",
    "sla_models",
    "tickets_models",
    "triage_models",
]
