# A pair is imported by its name. Its user_data is sensitive: a configuration
# Terraform generates (-generate-config-out) has it as null; write it back in.
terraform import swarm_failover_pair.mcp mcp
