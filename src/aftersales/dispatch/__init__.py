"""dispatch: the routing core (VROOM via pyvroom) and, next, the service network, auto-dispatch,
appointments and day plans.

Depends on core only so far. Entry points: ``routing.solve`` (a routing problem → routes),
``solomon`` (the standard VRPTW benchmark format and a feasibility check), ``cli``
(``aftersales dispatch solve-vrptw``).
"""
