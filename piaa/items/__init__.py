"""Items: the competency dictionary, item banks, item types, versions and the review workflow."""
