"""Randomised trials inside EmotiPal (issue 11): pure Python and numpy, no Django.

:mod:`.allocation` is the randomisation engine (simple, permuted blocks, stratified blocks, Pocock-Simon
minimisation and a REDCap allocation table) with its replayable log; :mod:`.redcap_allocation` reads and writes
REDCap allocation tables. Sibling modules analyse the trial: micro-randomised trials, the CONSORT flow, arm
effects and power.
"""
