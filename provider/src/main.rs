//! The provider binary: Terraform starts it and talks to it over gRPC.

fn main() -> std::process::ExitCode {
    tfplugin::serve::run(
        swarm_provider::ADDRESS,
        swarm_provider::VERSION,
        swarm_provider::SwarmProvider::new,
    )
}
