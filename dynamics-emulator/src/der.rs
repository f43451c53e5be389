//! Just enough DER reading to pull an RSA public key out of an X.509 certificate.

/// DER tag of a SEQUENCE.
const SEQUENCE: u8 = 0x30;
/// DER tag of an INTEGER.
const INTEGER: u8 = 0x02;
/// DER tag of a BIT STRING.
const BIT_STRING: u8 = 0x03;
/// DER tag of an OBJECT IDENTIFIER.
const OID: u8 = 0x06;
/// DER tag of the explicit `[0]` version field of a TBSCertificate.
const VERSION: u8 = 0xa0;
/// The content bytes of OID 1.2.840.113549.1.1.1 (rsaEncryption).
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// Splits one tag-length-value off the front of `input`: `(tag, content, rest)`.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // multi-byte tags never occur in the structures read here
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |len, &byte| (len << 8) | usize::from(byte));
        rest = &rest[count..];
        len
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// Reads a TLV that must carry `expected` as its tag: `(content, rest)`.
fn expect(input: &[u8], expected: u8) -> Option<(&[u8], &[u8])> {
    let (tag, content, rest) = read_tlv(input)?;
    (tag == expected).then_some((content, rest))
}

/// The PKCS#1 `RSAPublicKey` DER inside a DER X.509 certificate, or why it could not be found.
pub(crate) fn rsa_public_key_from_certificate(cert_der: &[u8]) -> Result<&[u8], &'static str> {
    const MALFORMED: &str = "the certificate is not valid DER X.509";
    let (certificate, _) = expect(cert_der, SEQUENCE).ok_or(MALFORMED)?;
    let (mut tbs, _) = expect(certificate, SEQUENCE).ok_or(MALFORMED)?;
    if let Some((VERSION, _, rest)) = read_tlv(tbs) {
        tbs = rest;
    }
    // serialNumber, signature, issuer, validity, subject
    for tag in [INTEGER, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE] {
        tbs = expect(tbs, tag).ok_or(MALFORMED)?.1;
    }
    let (spki, _) = expect(tbs, SEQUENCE).ok_or(MALFORMED)?;
    let (algorithm, rest) = expect(spki, SEQUENCE).ok_or(MALFORMED)?;
    let (oid, _) = expect(algorithm, OID).ok_or(MALFORMED)?;
    if oid != RSA_ENCRYPTION {
        return Err("only RSA certificates are supported");
    }
    let (bits, _) = expect(rest, BIT_STRING).ok_or(MALFORMED)?;
    match bits.split_first() {
        Some((0, key)) => Ok(key),
        _ => Err(MALFORMED),
    }
}

/// The big-endian modulus and exponent of a PKCS#1 `RSAPublicKey`, without sign padding.
pub(crate) fn rsa_modulus_exponent(pkcs1: &[u8]) -> Option<(&[u8], &[u8])> {
    fn unsigned(integer: &[u8]) -> &[u8] {
        match integer {
            [0, rest @ ..] if !rest.is_empty() => rest,
            other => other,
        }
    }
    let (key, _) = expect(pkcs1, SEQUENCE)?;
    let (modulus, rest) = expect(key, INTEGER)?;
    let (exponent, _) = expect(rest, INTEGER)?;
    Some((unsigned(modulus), unsigned(exponent)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_form_lengths_are_read() {
        let mut input = vec![SEQUENCE, 0x82, 0x01, 0x00];
        input.extend(std::iter::repeat_n(7u8, 256));
        let (tag, content, rest) = read_tlv(&input).expect("valid TLV");
        assert_eq!((tag, content.len(), rest.len()), (SEQUENCE, 256, 0));
    }

    #[test]
    fn truncated_input_is_rejected() {
        assert!(read_tlv(&[SEQUENCE, 0x05, 1, 2]).is_none());
        assert!(read_tlv(&[SEQUENCE, 0x84]).is_none());
        assert!(read_tlv(&[]).is_none());
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(rsa_public_key_from_certificate(b"not a certificate").is_err());
        assert!(rsa_public_key_from_certificate(&[]).is_err());
    }

    #[test]
    fn modulus_sign_byte_is_stripped() {
        let key = [
            SEQUENCE, 0x07, INTEGER, 0x02, 0x00, 0xc1, INTEGER, 0x01, 0x03,
        ];
        let (n, e) = rsa_modulus_exponent(&key).expect("valid key");
        assert_eq!((n, e), (&[0xc1][..], &[0x03][..]));
    }
}
