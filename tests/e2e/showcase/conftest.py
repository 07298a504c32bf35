"""The folders here hold the files the scripted model writes into its workspace (an app and its
own tests among them); they are data for the showcase sessions, not part of kodo's suite."""

collect_ignore = ["web_api", "pytorch", "pytorch_slurm", "distributed"]
