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

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
    use rustls_pki_types::ServerName;

    /// A client identity shaped as Terraform's: ECDSA P-521, self-signed CA.
    fn terraform_like_client() -> (String, CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).unwrap();
        let key_der = PrivateKeyDer::try_from(key.serialize_der()).unwrap();
        (cert.pem(), cert.der().clone(), key_der)
    }

    /// The client side of the test does not judge the server: Terraform's
    /// own acceptance of it is covered by the tests that run terraform.
    #[derive(Debug)]
    struct AnyServer(WebPkiSupportedAlgorithms);

    impl ServerCertVerifier for AnyServer {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(m, c, d, &self.0)
        }
        fn verify_tls13_signature(
            &self,
            m: &[u8],
            c: &CertificateDer<'_>,
            d: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(m, c, d, &self.0)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_schemes()
        }
    }

    /// Runs a TLS handshake over an in-memory pipe; returns the server's
    /// outcome and the negotiated ALPN protocol.
    async fn handshake(
        server: &AutoMtls,
        cert: CertificateDer<'static>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Option<Vec<u8>>, std::io::Error> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut client = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyServer(
                provider.signature_verification_algorithms,
            )))
            .with_client_auth_cert(vec![cert], key)
            .unwrap();
        client.alpn_protocols = vec![b"h2".to_vec()];
        let (a, b) = tokio::io::duplex(64 * 1024);
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&server.config));
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let name = ServerName::try_from("localhost").unwrap();
        let server_side = async {
            // Dropping the stream closes it, so the client's read ends.
            let stream = acceptor.accept(a).await?;
            Ok::<_, std::io::Error>(stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec))
        };
        let (accepted, connected) = tokio::join!(server_side, async {
            // The client finishes first in TLS 1.3; make it wait for the
            // server's verdict by reading.
            let mut stream = connector.connect(name, b).await?;
            let mut buf = [0u8; 1];
            let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
            Ok::<_, std::io::Error>(())
        });
        let _ = connected;
        accepted
    }

    #[tokio::test]
    async fn accepts_terraforms_certificate_and_speaks_h2() {
        let (pem, cert, key) = terraform_like_client();
        let server = AutoMtls::new(&pem).unwrap();
        let alpn = handshake(&server, cert, key).await.unwrap();
        assert_eq!(alpn.as_deref(), Some(&b"h2"[..]));
    }

    #[tokio::test]
    async fn refuses_any_other_client_certificate() {
        let (pem, _, _) = terraform_like_client();
        let (_, other_cert, other_key) = terraform_like_client();
        let server = AutoMtls::new(&pem).unwrap();
        assert!(handshake(&server, other_cert, other_key).await.is_err());
    }

    #[test]
    fn server_certificate_is_fresh_and_for_localhost() {
        let (pem, _, _) = terraform_like_client();
        let a = AutoMtls::new(&pem).unwrap();
        let b = AutoMtls::new(&pem).unwrap();
        assert_ne!(a.certificate_base64, b.certificate_base64);
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&a.certificate_base64)
            .unwrap();
        // The DNS name "localhost" is in the subjectAltName.
        assert!(der.windows(9).any(|w| w == b"localhost"));
    }

    #[test]
    fn rejects_a_client_certificate_that_is_not_pem() {
        assert!(matches!(AutoMtls::new("garbage"), Err(ServeError::Tls(_))));
    }
}
