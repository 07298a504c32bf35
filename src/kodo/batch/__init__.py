"""Scale-out: run many kodo tasks at once, locally or on a Ray cluster, and score them."""
