"""The measurement loop inside the service: scored responses as data, calibration of a
competency's items as a background job, the psychometrician's reading of fit, DIF, drift
and reliability, and the audited decisions that put a new parameter set into use.

Modules: ``models`` (tables), ``responses`` (long-form export and candidates' optional
attributes), ``analysis`` (the numbers of one calibration, from arrays), ``services``
(runs and decisions), ``plots`` (SVG), ``parameter_files`` (``piaa parameters``),
``simulated_history`` (scored attempts written fast, for tests and the demo), ``views``
and ``cli``.
"""
