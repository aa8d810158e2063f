"""The use-case layer's JSON API: tickets (intake and the read model), the assistant, caller lookup."""

from aftersales.usecases.api.customers import router as customers_router
from aftersales.usecases.api.tickets import assist_router
from aftersales.usecases.api.tickets import router as tickets_router

__all__ = ["assist_router", "customers_router", "tickets_router"]
