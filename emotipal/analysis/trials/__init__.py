"""Randomised experiments on the app's features: allocation, micro-randomised trials, CONSORT flow, arm effects and power. Pure Python: no Django."""
