"""Every research write that matters, each in one transaction with its audit row.

participants.py  state changes of a participant (the CONSORT trail)
"""
