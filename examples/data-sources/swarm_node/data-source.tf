data "swarm_node" "agents" {
  name = "agents"
}

output "agent_ips" {
  value = data.swarm_node.agents.private_ips
}
