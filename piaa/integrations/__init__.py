"""Integrations with other systems: PIAA as an LTI 1.3 tool that a learning platform launches
learners into and sends results back to (Assignment and Grade Services), and signed result
webhooks for platforms that do not speak LTI."""
