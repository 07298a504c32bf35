"""Jobs on clusters (Slurm, Ray, Kubernetes) driven through their own command-line clients.

A backend turns a cluster's words into one small vocabulary (``model.JobStatus``) so the tool,
the waiting loop and the person's screen never need to know which scheduler is behind a job.
"""
