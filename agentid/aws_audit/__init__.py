"""Reading a live AWS account for `agentid audit aws` and `agentid revoke aws` (boto3; no Pulumi)."""
