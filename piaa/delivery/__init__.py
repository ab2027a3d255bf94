"""Delivery: assessments, windows, forms (fixed, LOFT, adaptive), attempts, timing, proctoring, scoring."""
