"""Which of our estimates matter: global sensitivity and uncertainty over the model.

``register`` reads the register of uncertain inputs (``configs/uncertainty``) and
applies samples to a config; ``methods`` makes SALib's Morris and Sobol'
designs and analyses. May import ``results`` and below.
"""
