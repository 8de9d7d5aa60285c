"""The routers, one per area. Every route names its action in `x-storenet-action`
(the access policy in storenet.accounts.roles), which the access tests read."""

from storenet.api.routes import (
    auth,
    catalog,
    echelons,
    franchise,
    network,
    plans,
    pos,
    purchasing,
    recall,
    standards,
    stock,
    stockroom,
    transfers,
    users,
)

ROUTERS = [
    auth.router,
    users.router,
    pos.router,
    # Before stock: /stock/echelons would otherwise be read as /stock/{location}.
    echelons.router,
    stock.router,
    stockroom.router,
    transfers.router,
    network.router,
    catalog.router,
    plans.router,
    purchasing.router,
    recall.router,
    franchise.router,
    standards.router,
]
