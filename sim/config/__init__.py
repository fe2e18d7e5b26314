"""Config schemas: typed dataclasses that Hydra's ConfigStore checks the YAML against.

``schema.Config`` is the whole run config, built from ``groups`` and ``population``
(the model) and ``outputs`` (injects, research); ``overrides`` applies ``key=value`` to one
section. Imports only the base modules (``errors``); no Hydra.
"""
