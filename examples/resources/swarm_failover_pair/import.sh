# A pair is imported by its name. Its user_data is sensitive: a configuration
# Terraform generates (-generate-config-out) has it as null, and applying it
# as written would remove the user data and roll both nodes (the plan warns on
# user_data). Write it back in first, e.g. user_data = file("bootstrap.sh").
terraform import swarm_failover_pair.mcp mcp
