"""Forecast accuracy on real sales: metrics, peers, backtests, reports."""
