//! AutoMTLS as go-plugin does it: Terraform generates a client certificate
//! and passes it in `PLUGIN_CLIENT_CERT`; the plugin generates a fresh
//! self-signed server certificate each run and returns it in the handshake
//! line. Each side accepts exactly the other's certificate.

use std::sync::Arc;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName as RustlsDn, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

use super::ServeError;

/// The server side of AutoMTLS.
pub(crate) struct AutoMtls {
    pub config: Arc<rustls::ServerConfig>,
    /// The server certificate, for the handshake line: DER, base64 without padding.
    pub certificate_base64: String,
}

impl AutoMtls {
    /// Builds the TLS configuration from Terraform's client certificate (PEM).
    pub fn new(client_cert_pem: &str) -> Result<Self, ServeError> {
        let client_cert =
            CertificateDer::from_pem_slice(client_cert_pem.as_bytes()).map_err(|e| {
                ServeError::Tls(format!("PLUGIN_CLIENT_CERT is not a PEM certificate: {e}"))
            })?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let (server_cert, server_key) = generate_server_certificate()?;
        let certificate_base64 =
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(server_cert.as_ref());
        let verifier = Arc::new(PinnedClientCert {
            expected: client_cert.into_owned(),
            algorithms: provider.signature_verification_algorithms,
        });
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| ServeError::Tls(e.to_string()))?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![server_cert], server_key)
            .map_err(|e| ServeError::Tls(e.to_string()))?;
        // gRPC-Go insists on ALPN "h2".
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Self {
            config: Arc::new(config),
            certificate_base64,
        })
    }
}

/// A fresh self-signed certificate for "localhost", shaped as go-plugin's
/// (it is its own CA, since Terraform pins it as the only root).
fn generate_server_certificate()
-> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), ServeError> {
    let tls =
        |e: rcgen::Error| ServeError::Tls(format!("cannot generate the server certificate: {e}"));
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(tls)?;
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).map_err(tls)?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "localhost");
    name.push(DnType::OrganizationName, "tfplugin");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::seconds(30);
    params.not_after = now + time::Duration::days(365);
    let cert = params.self_signed(&key).map_err(tls)?;
    let key_der = PrivateKeyDer::try_from(key.serialize_der())
        .map_err(|e| ServeError::Tls(format!("cannot encode the server key: {e}")))?;
    Ok((cert.der().clone(), key_der))
}

/// Accepts exactly one client certificate: the one Terraform generated.
/// (webpki would refuse it anyway: it is a CA certificate used as a leaf.)
#[derive(Debug)]
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[RustlsDn] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_ref() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
