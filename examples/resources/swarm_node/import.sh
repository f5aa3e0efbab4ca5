# A node is imported by its name (the value of its swarm:node tag); its
# settings are read back from the tags of its security group and instances.
# The import is refused when several nodes (each with its own swarm:owner
# marker) answer to the name. Objects that carry no marker yet get one at
# the first apply after the import.
# Its user_data is sensitive: a configuration Terraform generates
# (-generate-config-out) has it as null, and applying it as written would
# remove the user data and replace the instances (the plan warns on
# user_data). Write it back in first, e.g. user_data = file("bootstrap.sh").
# (A timeouts block is not stored in AWS: after import, a configuration with
# one shows a timeouts-only update.)
terraform import swarm_node.agents agents
