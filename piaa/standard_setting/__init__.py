"""Standard setting in the app: a panel sets an assessment's cut scores by the bookmark method
(θ cuts from the ordered item booklet of the active parameter set) or by modified Angoff
(per-cent cuts for the classical score), over rounds whose ratings are all kept."""
