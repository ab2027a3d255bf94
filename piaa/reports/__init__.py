"""Effectiveness of courses, providers and ministries, from pre- and post-course assessments."""
