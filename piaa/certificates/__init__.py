"""Proficiency certificates: PDF rendering, Open Badges 3.0 credentials, signing, verification and revocation."""
