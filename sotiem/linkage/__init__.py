"""Person-linkage evaluation: the public test sets in one record schema, pairwise metrics, Splink baselines."""
