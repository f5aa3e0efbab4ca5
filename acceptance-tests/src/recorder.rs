//! moto's request recorder, for tests that check the order of the
//! provider's requests (e.g. that a rolling change touches the standby
//! before the active node). Launch times and state transitions have a
//! one-second resolution on the emulator, so two requests a few
//! milliseconds apart can look simultaneous there; the recorder lists them
//! in the order the emulator served them (one at a time).
//!
//! Each emulator keeps its own recording (`emulator/ext_recorder.py`). It
//! exists on the project's emulator only: against another endpoint
//! (LocalStack, AWS) these calls fail with a message that says so.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value as Json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::checks::err;
use crate::emulator::Emulator;

/// One recorded AWS request: the service and region it was signed for,
/// its method and path; for the query protocol (EC2's, IAM's) its `Action`
/// and its other form parameters (requests of other protocols have no
/// action and no parameters: a REST API's operation is its method and
/// path).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub action: Option<String>,
    pub params: BTreeMap<String, String>,
    /// From the signature's credential scope (`.../<region>/<service>/aws4_request`).
    pub service: Option<String>,
    pub region: Option<String>,
    pub method: String,
    /// The URL's path, percent-decoded, without the query.
    pub path: String,
}

impl Request {
    /// Whether this is a request for `action`.
    pub fn is(&self, action: &str) -> bool {
        self.action.as_deref() == Some(action)
    }

    /// What the request is, for a message or a measurement: `iam GetRole`,
    /// `backup GET /backup-vaults/swarm-nightly in us-west-2`.
    pub fn operation(&self) -> String {
        let service = self.service.as_deref().unwrap_or("?");
        let what = match &self.action {
            Some(action) => action.clone(),
            None => format!("{} {}", self.method, self.path),
        };
        match &self.region {
            Some(region) => format!("{service} {what} in {region}"),
            None => format!("{service} {what}"),
        }
    }

    /// A parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The value of the tag `key` in the request's tag specifications
    /// (`TagSpecification.N.Tag.M.Key`/`Value`), from the first
    /// specification that has it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.params.iter().find_map(|(name, value)| {
            let prefix = name
                .strip_prefix("TagSpecification.")?
                .strip_suffix(".Key")?;
            if value != key || !prefix.contains(".Tag.") {
                return None;
            }
            self.param(&format!("TagSpecification.{prefix}.Value"))
        })
    }
}

/// Empties the emulator's recording and starts recording.
pub async fn start(emulator: &Emulator) -> Result<(), String> {
    send(emulator, "POST", "/moto-api/recorder/reset-recording").await?;
    send(emulator, "POST", "/moto-api/recorder/start-recording").await?;
    Ok(())
}

/// The requests recorded since [`start`], in the order they were served.
pub async fn requests(emulator: &Emulator) -> Result<Vec<Request>, String> {
    let body = send(emulator, "GET", "/moto-api/recorder/download-recording").await?;
    body.lines()
        .filter(|line| !line.trim().is_empty())
        .map(parse)
        .collect()
}

/// One line of a recording: a JSON object with the request's headers,
/// method, URL and body (base64 when `body_encoded`).
fn parse(line: &str) -> Result<Request, String> {
    let entry: Json = serde_json::from_str(line).map_err(err)?;
    let header = |name: &str| entry["headers"][name].as_str().unwrap_or_default();
    // `Credential=<key>/<date>/<region>/<service>/aws4_request`.
    let scope: Vec<&str> = header("Authorization")
        .split_once("Credential=")
        .map(|(_, rest)| rest.split([',', ' ']).next().unwrap_or_default())
        .unwrap_or_default()
        .split('/')
        .collect();
    let url = entry["url"].as_str().unwrap_or_default();
    // A full URL or a path; the query left out.
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
    let path = path.split('?').next().unwrap_or_default();
    let request = Request {
        service: scope.get(3).map(|s| (*s).to_owned()),
        region: scope.get(2).map(|s| (*s).to_owned()),
        method: entry["method"].as_str().unwrap_or_default().to_owned(),
        // Percent-decoded (an ARN in `/tags/<ARN>` is escaped) by the form
        // decoder, with what it reads otherwise (`+` as a space, `&` between
        // pairs) escaped first.
        path: form_urlencoded::parse(
            format!("p={}", path.replace('+', "%2B").replace('&', "%26")).as_bytes(),
        )
        .next()
        .map(|(_, p)| p.into_owned())
        .unwrap_or_default(),
        ..Request::default()
    };
    if !header("Content-Type").starts_with("application/x-www-form-urlencoded") {
        return Ok(request);
    }
    let body = entry["body"].as_str().unwrap_or_default();
    let bytes = if entry["body_encoded"].as_bool() == Some(true) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(err)?
    } else {
        body.as_bytes().to_vec()
    };
    let mut params: BTreeMap<String, String> = form_urlencoded::parse(&bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok(Request {
        action: params.remove("Action"),
        params,
        ..request
    })
}

/// A request to the emulator's own API; the answer's body.
async fn send(emulator: &Emulator, method: &str, path: &str) -> Result<String, String> {
    let address = emulator
        .endpoint()
        .and_then(|e| e.strip_prefix("http://"))
        .ok_or("the request recorder exists on the project's emulator only (moto), not on AWS")?;
    let mut stream = TcpStream::connect(address).await.map_err(err)?;
    // HTTP/1.0: the answer ends when the connection closes (no chunks).
    let request =
        format!("{method} {path} HTTP/1.0\r\nHost: {address}\r\nContent-Length: 0\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(err)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(err)?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{path}: not an HTTP answer: {answer}"))?;
    if head.split_whitespace().nth(1) != Some("200") {
        return Err(format!(
            "{path}: {head} (the recorder needs the project's emulator)"
        ));
    }
    Ok(body.to_owned())
}

/// The position of the first request that `matches`, or a message naming
/// `what`.
pub fn position(
    requests: &[Request],
    what: &str,
    matches: impl Fn(&Request) -> bool,
) -> Result<usize, String> {
    requests.iter().position(matches).ok_or_else(|| {
        let actions: Vec<&str> = requests
            .iter()
            .filter_map(|r| r.action.as_deref())
            .collect();
        format!("no {what} among the recorded requests {actions:?}")
    })
}
