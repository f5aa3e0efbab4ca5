# In another stack: where to reach the MCP server of the pair named "mcp".
data "swarm_failover_pair" "mcp" {
  name = "mcp"
}

output "mcp_endpoint" {
  value = data.swarm_failover_pair.mcp.endpoint
}
