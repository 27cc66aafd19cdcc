"""The pure core: matching, conversation state and routing decisions.

Nothing in this package performs I/O, reads the clock or imports aiohttp, socketio,
redis or yaml; the time is passed in by the caller. tests/test_core_purity.py checks it.
"""
