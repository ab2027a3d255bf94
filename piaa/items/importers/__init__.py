"""Readers that turn a bank folder, CSV/XLSX rows or QTI XML into plain items of the bank format."""
