"""Injects for exercise designers: a Master Scenario Events List (MSEL) from a run.

``clock``: the exercise clock (segments of play, time jumps, speed);
``safety``: making text from configs and geodata harmless in HTML, CSV and Excel.
"""
