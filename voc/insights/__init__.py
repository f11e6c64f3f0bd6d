"""Routing findings to departments, aggregating them into insights, delivering them by webhook."""

from voc.insights.delivery import deliver_pending
from voc.insights.insights import RoutingSummary, route_and_aggregate
from voc.insights.rules import RouteRule
from voc.insights.workflow import acknowledge, reroute, resolve

__all__ = ["RouteRule", "RoutingSummary", "acknowledge", "deliver_pending", "reroute", "resolve",
           "route_and_aggregate"]
