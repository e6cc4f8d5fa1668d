"""Fault checks of ``scripts/fault_injection.py``, one module per area (see its docstring)."""
