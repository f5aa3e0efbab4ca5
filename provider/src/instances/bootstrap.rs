//! The user data every instance boots with: a short shell script that
//! writes the agents' settings and a systemd unit template, runs the
//! user's own `user_data`, then starts the agents. Also the fingerprint of
//! a launch configuration, and the few encodings this needs.

use std::fmt::Write as _;

/// Where the agents' settings go.
pub const AGENT_ENV: &str = "/etc/swarm/agent.env";

/// The header line of the embedded user script, before its delimiter.
const USER_SCRIPT_HEADER: &str = "cat > /etc/swarm/user-data <<'";

/// What goes into the bootstrap.
#[derive(Debug, Clone, Copy)]
pub struct Bootstrap<'a> {
    /// The resource type, named in the script's header (`swarm_node`).
    pub kind: &'a str,
    pub name: &'a str,
    pub agents_per_instance: i64,
    pub mcp_port: i64,
    pub user_data: Option<&'a str>,
}

impl Bootstrap<'_> {
    /// The script, as EC2 runs it at first boot (through cloud-init).
    pub fn render(&self) -> String {
        let Bootstrap {
            kind,
            name,
            agents_per_instance,
            mcp_port,
            user_data,
        } = *self;
        let mut script = format!(
            r#"#!/bin/bash
# {kind} "{name}": bootstrap written by terraform-provider-swarm.
set -euo pipefail
install -d -m 0755 /etc/swarm
cat > {AGENT_ENV} <<'SWARM_EOF'
AGENTS_PER_INSTANCE={agents_per_instance}
MCP_PORT={mcp_port}
SWARM_EOF
# One unit per agent: swarm-agent@1 .. swarm-agent@AGENTS_PER_INSTANCE.
# The agent binary comes from the AMI or from user_data.
cat > /etc/systemd/system/swarm-agent@.service <<'SWARM_EOF'
[Unit]
Description=swarm agent %i
After=network-online.target
Wants=network-online.target
ConditionPathIsExecutable=/usr/local/bin/swarm-agent

[Service]
EnvironmentFile={AGENT_ENV}
Environment=AGENT_INDEX=%i
ExecStart=/usr/local/bin/swarm-agent
DynamicUser=yes
StateDirectory=swarm-agent/%i
AmbientCapabilities=CAP_NET_BIND_SERVICE
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
SWARM_EOF
systemctl daemon-reload
"#
        );
        if let Some(user) = user_data {
            let delimiter = delimiter_for(user);
            let run = if user.starts_with("#!") {
                "/etc/swarm/user-data"
            } else {
                "bash /etc/swarm/user-data"
            };
            // The script is kept verbatim, with one newline added so that
            // it can be read back exactly (see `user_part`).
            let _ = write!(
                script,
                "# user_data, run after the bootstrap:\n{USER_SCRIPT_HEADER}{delimiter}'\n{user}\n{delimiter}\nchmod 0700 /etc/swarm/user-data\n{run}\n"
            );
        }
        let _ = writeln!(
            script,
            "for i in $(seq 1 {agents_per_instance}); do systemctl enable --now \"swarm-agent@$i.service\"; done"
        );
        script
    }
}

/// A heredoc delimiter that is not a line of `text`.
fn delimiter_for(text: &str) -> String {
    let mut delimiter = "SWARM_USER_DATA".to_owned();
    let mut n = 0;
    while text.lines().any(|l| l == delimiter) {
        n += 1;
        delimiter = format!("SWARM_USER_DATA_{n}");
    }
    delimiter
}

/// The user's `user_data` embedded in a rendered bootstrap, if any.
pub fn user_part(script: &str) -> Option<String> {
    let start = script.find(USER_SCRIPT_HEADER)? + USER_SCRIPT_HEADER.len();
    let rest = &script[start..];
    let (delimiter, body) = rest.split_once("'\n")?;
    // The body ends with the added newline, then the delimiter's line.
    let end_marker = format!("\n{delimiter}\n");
    let end = body.find(&end_marker)? + 1;
    let with_newline = &body[..end];
    Some(
        with_newline
            .strip_suffix('\n')
            .unwrap_or(with_newline)
            .to_owned(),
    )
}

/// The settings a rendered bootstrap writes: `AGENTS_PER_INSTANCE` and
/// `MCP_PORT`, as an import reads them back from an instance.
pub fn settings(script: &str) -> (Option<i64>, Option<i64>) {
    let value = |key: &str| {
        script
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
    };
    (value("AGENTS_PER_INSTANCE"), value("MCP_PORT"))
}

pub use crate::aws::fingerprint;

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, as RunInstances takes user data.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(BASE64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (whitespace ignored); `None` if malformed.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !symbols.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    for chunk in symbols.chunks(4) {
        let pad = chunk.iter().rev().take_while(|b| **b == b'=').count();
        if pad > 2 {
            return None;
        }
        let mut n = 0u32;
        for (i, b) in chunk.iter().enumerate() {
            let v = if i >= 4 - pad {
                0
            } else {
                BASE64.iter().position(|c| c == b)? as u32
            };
            n = (n << 6) | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(user_data: Option<&str>) -> String {
        Bootstrap {
            kind: "swarm_node",
            name: "agents",
            agents_per_instance: 5,
            mcp_port: 3000,
            user_data,
        }
        .render()
    }

    #[test]
    fn writes_the_settings_and_starts_the_agents() {
        let script = boot(None);
        assert!(script.starts_with("#!/bin/bash\n"));
        assert!(script.contains("AGENTS_PER_INSTANCE=5\nMCP_PORT=3000\n"));
        assert_eq!(settings(&script), (Some(5), Some(3000)));
        assert_eq!(settings("#!/bin/bash\n"), (None, None));
        assert!(script.contains("swarm-agent@.service"));
        assert!(script.contains("$(seq 1 5)"));
        assert_eq!(user_part(&script), None);
    }

    #[test]
    fn user_data_round_trips() {
        for user in [
            "echo hi",
            "echo hi\n",
            "#!/usr/bin/env python3\nprint('x')\n",
            "",
            "\n\n",
            "a\nSWARM_USER_DATA\nb",
            "a\nSWARM_USER_DATA\nSWARM_USER_DATA_1\n",
        ] {
            let script = boot(Some(user));
            assert_eq!(user_part(&script).as_deref(), Some(user), "{script}");
        }
        assert!(boot(Some("#!/bin/sh\ntrue")).contains("\n/etc/swarm/user-data\n"));
        assert!(boot(Some("true")).contains("\nbash /etc/swarm/user-data\n"));
    }

    #[test]
    fn bootstrap_leaves_room_for_user_data() {
        let longest = Bootstrap {
            kind: "swarm_failover_pair",
            name: &"n".repeat(64),
            agents_per_instance: 256,
            mcp_port: 65535,
            user_data: Some(""),
        }
        .render();
        assert!(longest.len() + super::super::checks::MAX_USER_DATA <= 16 * 1024);
    }

    #[test]
    fn base64_round_trips() {
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let encoded = base64_encode(text.as_bytes());
            assert_eq!(base64_decode(&encoded).as_deref(), Some(text.as_bytes()));
        }
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fo"), "Zm8=");
        assert_eq!(base64_decode("Zm8"), None);
        assert_eq!(base64_decode("Z!8="), None);
    }

    #[test]
    fn fingerprints_are_stable() {
        assert_eq!(fingerprint(&[""]), "cbf29ce484222325");
        assert_eq!(fingerprint(&["a"]), "af63dc4c8601ec8c");
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }
}
