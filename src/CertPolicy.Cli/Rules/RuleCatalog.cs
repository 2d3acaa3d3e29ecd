using System.Text;

namespace CertPolicy.Cli.Rules;

/// <summary>One rule a finding can name (<c>[R-T8]</c>): what it asks for, where it comes from, how to fix a failure.</summary>
/// <param name="Id">The rule id, e.g. <c>R-T8</c>.</param>
/// <param name="Title">A short title.</param>
/// <param name="Requires">What the rule requires, in a few sentences for a mail administrator.</param>
/// <param name="Source">Where it comes from: the partner document's section, RFCs, CA/Browser Forum documents.</param>
/// <param name="Fix">What to do when a finding names the rule.</param>
/// <param name="CheckedBy">Which <c>certpolicy</c> commands check it.</param>
/// <param name="Codes">The finding codes that carry this rule id (a code may belong to more than one rule).</param>
internal sealed record RuleEntry(string Id, string Title, string Requires, string Source, string Fix, string CheckedBy, IReadOnlyList<string> Codes);

/// <summary>
/// The rules every finding of CertPolicy names, written for administrators. The partner document is "Hinweise zur
/// E-Mail-Verschlüsselung mit der AUDI AG", v1.2 (2019); its section numbers are given as "document 2.2".
/// <c>docs/rules.md</c> is generated from this catalogue (<see cref="ToMarkdown"/>; a test keeps them equal), and
/// <c>certpolicy explain</c> prints it. Every rule id any finding can carry is here (a test scans the sources).
/// </summary>
internal static class RuleCatalog
{
    /// <summary>Every rule, in the document's order: transport, server certificates, DANE/MTA-STS, gateway encryption, the CA list.</summary>
    internal static IReadOnlyList<RuleEntry> All { get; } =
    [
        new(
            "R-T1",
            "STARTTLS on port 25, never SMTPS between gateways",
            "Mail between gateways goes over SMTP on port 25 and switches to TLS with STARTTLS. Implicit TLS on port 465 (SMTPS) is not used between gateways: a partner's gateway that only speaks SMTPS cannot receive mail from us.",
            "Document 2.1, 2.2 and 2.3; RFC 3207 (SMTP STARTTLS).",
            "Offer STARTTLS in the EHLO reply on port 25 (Postfix: smtpd_tls_security_level = may with a certificate and key). Probe port 25, not 465. If the probe cannot connect or resolve the host, check DNS, firewalls and the MX record first.",
            "probe, scan",
            ["connect-failed", "dns-failed", "implicit-tls", "smtp-error", "starttls-plaintext-injection", "scan.mx", "scan.mx-implicit", "scan.mx-too-many", "scan.mx-lookup-failed", "scan.domain-not-found", "scan.null-mx", "scan.mx-no-address", "scan.mx-address-lookup-failed", "scan.no-gateway"]),
        new(
            "R-T2",
            "Session keys of at least 128 bits",
            "The negotiated cipher suite must give at least 128 bits of key strength; 256 is recommended. Suites such as 3DES (112 bits effective), DES, export and NULL suites are below the floor.",
            "Document 2.2, 2.3 and 5.4.",
            "Restrict the gateway to strong suites: in Postfix set ciphers=high in the partner's tls_policy entry (or smtp_tls_mandatory_ciphers = high) and remove 3DES and older suites from any custom cipher list. Check a list with `certpolicy ciphers --check STRING`.",
            "probe, scan, tls check, ciphers --check",
            ["tls-key-too-short", "policy-tls-key-too-short"]),
        new(
            "R-T3",
            "No RC4",
            "RC4 is refused in every form. Old Microsoft Exchange 2003 offers only RC4-MD5 and cannot meet the policy.",
            "Document 2.2, 2.3 and 6.3; RFC 7465 (prohibits RC4 in TLS).",
            "Remove RC4 from the server's and client's cipher lists (OpenSSL 3.0 no longer builds it by default). Replace mail servers that offer nothing but RC4.",
            "probe, scan, tls check, ciphers --check",
            ["tls-rc4", "policy-tls-rc4"]),
        new(
            "R-T4",
            "TLS 1.2 or newer",
            "SSLv2, SSLv3, TLS 1.0 and TLS 1.1 are refused. The 2019 document allowed TLS 1.2 only (profile document-2019); the default 2026 profile (partner-2026) accepts TLS 1.2 and TLS 1.3.",
            "Document 5.4; RFC 8996 (TLS 1.0 and 1.1 deprecated), RFC 7568 (SSLv3), RFC 6176 (SSLv2).",
            "In Postfix set protocols=>=TLSv1.2 in the partner's tls_policy entry (or smtp_tls_mandatory_protocols = >=TLSv1.2) and make sure the gateway supports TLS 1.2. Use --profile document-2019 only where TLS 1.2 alone is agreed.",
            "probe, scan, tls check, policy check, ciphers --check",
            ["tls-protocol", "tls-protocol-too-old", "tls-protocol-not-allowed", "tls-suite-not-for-protocol", "tls-unknown-protocol", "policy-tls-protocol-too-old", "policy-tls-protocol-not-allowed", "invalid-protocols", "legacy-protocols", "no-protocols", "partner-protocols-default", "postfix.partner-protocols"]),
        new(
            "R-T5",
            "Only OpenSSL's HIGH cipher suites",
            "Every suite in OpenSSL's HIGH class is strong enough; nothing outside it is accepted. Suites without encryption, without authentication (anonymous) or export-grade suites are never in HIGH.",
            "Document 5.4 (`openssl ciphers -v -tls1 HIGH`) and 6.3; Postfix TLS_README (cipher grades).",
            "Use ciphers=high in the partner's tls_policy entry; keep any exclude= list to removals only. `certpolicy ciphers --check STRING` lists what a cipher string selects beyond the floor.",
            "probe, scan, tls check, policy check, ciphers --check",
            ["tls-cipher", "tls-not-in-grade", "tls-null-anonymous-export", "tls-unknown-suite", "tls-floor", "tls-not-checked", "policy-tls-not-in-grade", "policy-tls-null-anonymous-export", "invalid-ciphers", "partner-ciphers-not-high", "permissive-retry", "postfix.cipherlist-unusable", "postfix.partner-ciphers-not-high", "postfix.partner-ciphers-unusable", "tls-offer"]),
        new(
            "R-T6",
            "Mandatory, verified TLS to partners (\"Secure Channel TLS\")",
            "For a partner domain, TLS is mandatory and the certificate is verified: it must chain to a trusted CA and carry a name in the destination domain, or in the domain that hosts its MX servers. In Postfix this is a tls_policy entry such as `example.com secure match=.example.net ciphers=high protocols=>=TLSv1.2`. A level that does not verify (may, encrypt) or a gateway that does not offer STARTTLS fails this rule.",
            "Document 2.1, 2.3, 5.2, 5.3 and 5.6; Postfix TLS_README (\"Client TLS security levels\", \"Secure server certificate verification\").",
            "Give every partner domain its own tls_policy entry at level secure, with match= naming the domain of its MX hosts when that differs, plus ciphers=high and protocols=>=TLSv1.2; run `postmap` and reload Postfix. If a partner's gateway stops offering STARTTLS, contact the partner: never lower the level.",
            "policy check, probe, scan, verify",
            ["partner-missing", "partner-not-verified", "partner-verify-hostname", "partner-level-too-weak", "dane.partner-fallback", "match-hostname-at-secure", "policy", "policy-invalid", "policy-tls", "level-not-modelled", "tls-not-offered", "starttls-refused", "handshake-failed", "internal-error", "postfix.main-cf-line-ignored", "postfix.partner-entry-invalid", "postfix.partner-missing", "postfix.partner-resolution-incomplete", "postfix.unresolved-reference", "scan.internal-error", "scan.policy-unusable"]),
        new(
            "R-T7",
            "Opportunistic TLS for everyone else",
            "Destinations without an agreement stay at level may (TLS when offered). Inbound TLS is not enforced on a public MX: partners must keep accepting unencrypted mail, but must never send confidential mail unencrypted themselves.",
            "Document 2.2, 2.3 and 5.2; RFC 3207 section 4 (a public MX must not require STARTTLS).",
            "Keep smtp_tls_security_level = may and smtpd_tls_security_level = may in main.cf; put the strict levels into tls_policy entries for the partners only.",
            "policy check, probe, scan",
            ["level-opportunistic", "tls-not-offered", "starttls-refused", "handshake-failed", "postfix.global-level", "postfix.inbound-level"]),
        new(
            "R-T8",
            "Never turn TLS off for a partner",
            "A tls_policy entry `none` for a partner with mandatory TLS is not allowed. If TLS to a partner cannot be restored, another protection (for example gateway encryption) must be put in place instead.",
            "Document 5.8.1.",
            "Remove the `none` entry and find out why TLS fails (`certpolicy probe` shows the handshake and the certificate). Until it works, leave the mail deferred in the queue or protect it otherwise; do not send it in plain text.",
            "policy check, probe, scan",
            ["level-none", "partner-tls-disabled", "partner-level-too-weak", "postfix.discard-map-unchecked", "postfix.partner-gateway-starttls-discarded", "postfix.starttls-discarded", "postfix.table-not-read"]),
        new(
            "R-T9",
            "The partner's gateways follow the published name pattern",
            "The partner publishes the names of its gateways, here `mailin*.audi.de`, and each gateway's certificate names that host. Its mail domains (audi.de, audi.hu) are served by these gateways, so `audi.hu secure match=.audi.de ciphers=high` is the entry for audi.hu.",
            "Document 2.3 and 5.9.2.",
            "Connect only to MX hosts that follow the published pattern; if the MX record names another host, ask the partner before changing the policy. Check a name with `certpolicy names --gateway-pattern`.",
            "names",
            ["gateway-pattern-mismatch"]),
        new(
            "R-T10",
            "Defer, do not bounce",
            "Mail that cannot be delivered under the policy stays in the queue (up to maximal_queue_lifetime) and is retried; it is not bounced at once and never sent in plain text instead.",
            "Document 5.8.1 (\"Bitte beachten\"); Postfix postconf(5) maximal_queue_lifetime.",
            "Keep Postfix's default behaviour (TLS failures are temporary, 4.7.x) and a maximal_queue_lifetime long enough for someone to react to the R-T11 alerts.",
            "(not checked: a Postfix setting outside the policy table)",
            []),
        new(
            "R-T11",
            "Alert on TLS failures",
            "These Postfix log lines must raise an alert: \"Server certificate not verified\" / \"certificate verification failed\", \"status=deferred ... Cannot start TLS\" and \"status=deferred ... TLS is required, but was not offered\" (outbound, smtp), and \"SSL_accept error\" (inbound, smtpd). A client that keeps failing inbound may be denied STARTTLS through smtpd_discard_ehlo_keyword_address_maps, but never a partner with mandatory TLS.",
            "Document 5.8.1 and 5.8.2.",
            "Run `certpolicy monitor /var/log/mail.log` from your monitoring and alert on exit 1; keep smtp_tls_loglevel and smtpd_tls_loglevel at 1 or more so that the lines are written.",
            "monitor",
            ["certificate-verification-failed", "server-certificate-not-verified", "cannot-start-tls", "tls-not-offered", "starttls-refused", "client-tls-configuration-problem", "inbound-tls-handshake-failed", "postfix.loglevel-invalid", "postfix.loglevel-too-low"]),
        new(
            "R-C1",
            "The receiving gateway has a suitable server certificate",
            "A gateway that receives partner mail presents a server certificate. The 2019 document asks for Extended Validation (EV); the 2026 profiles accept EV or organisation validation (\"Class 3\", R-C8). An EV policy that the certificate asserts must be backed by the root it chains to.",
            "Document 2.1 (\"Es wird ein Extended Validation (EV) Zertifikat benötigt\") and 2.2; CA/Browser Forum EV Guidelines.",
            "Install an OV or EV certificate from a CA of the curated list on every receiving gateway. If EV is claimed but not established, the CA or root in use does not support EV for that policy: ask the CA, or use an OV certificate.",
            "verify, probe, scan",
            ["assurance.ev-not-established", "assurance.ev-required", "no-certificate", "TRUST-EV-OID"]),
        new(
            "R-C2",
            "The certificate names the gateway",
            "The certificate names the gateway host as the policy's match list asks: a DNS subjectAltName (the CN only when there is no DNS subjectAltName), a wildcard only as the whole left-most label. CertPolicy compares names exactly as Postfix 3.7 with OpenSSL 3.0 does.",
            "Document 2.2 and 2.3; RFC 7817 (server identity for e-mail), RFC 9525; Postfix TLS_README.",
            "Request the certificate with the gateway's host name as a DNS subjectAltName (and as CN). If the MX hosts live in another domain than the mail domain, set match= in the tls_policy entry to that domain (match=.example.net).",
            "verify, probe, scan, names",
            ["name.mismatch", "name.malformed", "name.no-reference", "name-mismatch", "names", "names-not-checked"]),
        new(
            "R-C3",
            "The chain leads to a trusted, checkable CA",
            "The certificate chains to a root of the curated trust store (or to the --roots given), and every certificate on the way is valid: signatures, validity dates, CA flags, path length, key usage, extended key usage, name constraints, no unknown critical extension. The root must still be trusted for TLS when the leaf was issued (distrust-after dates of the root programs). The presented chain starts with the gateway's own certificate.",
            "Document 2.2 and 7.1; RFC 5280 section 6 (path validation); RFC 8446 4.4.2 and RFC 5246 7.4.2 (the sender's certificate comes first); root-program distrust dates (Mozilla, Chrome).",
            "Configure the gateway to send its certificate first, followed by the intermediate CA certificates (Postfix: smtpd_tls_chain_files, leaf first). Renew expired certificates. If the root is not in the curated store, use a certificate from a CA of the list (`certpolicy trust list`).",
            "verify, probe, scan, bundle build",
            ["chain", "chain.untrusted", "chain.expired", "chain.not-yet-valid", "chain.not-in-order", "chain.bad-signature", "chain.budget-exceeded", "chain.too-long", "chain.not-ca", "chain.path-length", "chain.ca-key-usage", "chain.ca-eku", "chain.ca-empty-subject", "chain.critical-key-identifier", "chain.key-cert-sign-without-ca", "chain.name-constraints", "chain.name-constraints-not-critical", "chain.name-constraints-unsupported", "chain.unknown-critical-extension", "chain.anchor-aki-mismatch", "chain.crldp-malformed", "chain.ec-explicit-parameters", "chain-not-checked", "leaf.eku", "leaf.eku-any", "leaf.empty-subject", "leaf.key-usage", "leaf.name-constraints", "trust.distrusted-after", "trust.not-for-tls", "trust.not-annex", "trust.distrust-soon", "expiry.soon", "input.malformed", "internal.error", "internal-error", "TRUST-EXPIRED-ACTIVE", "TRUST-INCLUDE-DISTRUST", "TRUST-INCLUDE-PURPOSE", "TRUST-INCLUDE-STATUS", "TRUST-SUNSET-PASSED", "postfix.ca-curated-incomplete", "postfix.ca-curated-missing", "postfix.ca-file-missing", "postfix.ca-file-unreadable", "postfix.ca-path-missing", "postfix.ca-path-not-hashed", "postfix.ca-path-unreadable", "postfix.no-trust-anchors"]),
        new(
            "R-C4",
            "The holder is validated from documents",
            "The CA validated the certificate holder from documents (organisation or extended validation), not by an automated e-mail or DNS check. A certificate that asserts no known validation policy cannot show this.",
            "Document 2.2; CA/Browser Forum Baseline Requirements 7.1.6.1 (the policy identifiers for DV, OV, IV and EV).",
            "Use an OV or EV certificate; these carry the CA/Browser Forum policy 2.23.140.1.2.2 (OV) or 2.23.140.1.1 (EV), or a CA policy the trust store knows as such. For S/MIME, document-2019 refuses mailbox-validated certificates: use an organisation- or sponsor-validated one.",
            "verify, probe, scan, smime",
            ["assurance.unvalidated", "SMIME-POLICY-MAILBOX-VALIDATED"]),
        new(
            "R-C5",
            "No domain-validated certificates, no CAs that issue them (document-2019)",
            "A domain-validated leaf is refused, because an attack on DNS defeats domain validation. The 2019 document also refuses roots and issuing CAs that issue domain- or mail-validated certificates at all (its example: Thawte \"SSL123\"); the profile document-2019 applies that too.",
            "Document 2.2 and 5.2; CA/Browser Forum Baseline Requirements 3.2.2.4 (domain validation methods) and 7.1.6.1 (2.23.140.1.2.1 = DV).",
            "Replace the domain-validated certificate with an OV or EV certificate. Under document-2019, choose a CA whose issuing hierarchy issues no DV certificates.",
            "verify, probe, scan",
            ["assurance.domain-validated", "trust.anchor-issues-dv"]),
        new(
            "R-C6",
            "Issued to an organisation by name",
            "The certificate's subject names the holder (an organisation), not merely a domain or host name.",
            "Document 2.2; CA/Browser Forum Baseline Requirements 7.1.2.7.4 (organisationName in OV and EV certificates).",
            "Use an OV or EV certificate whose subject carries the organisation's name (O=).",
            "verify, probe, scan",
            ["leaf.no-organization"]),
        new(
            "R-C7",
            "No self-signed certificates",
            "A self-signed gateway certificate is refused, whatever else is true of it.",
            "Document 2.2 (\"Selbstsignierte Zertifikate können nicht unterstützt werden\").",
            "Obtain a certificate from a CA of the curated list and configure the gateway with it and its intermediates.",
            "verify, probe, scan",
            ["leaf.self-signed", "dane.ee-self-signed"]),
        new(
            "R-C8",
            "At least Class 3 (organisation validated) or EV",
            "The assurance must be at least what VeriSign called \"Class 3\", today organisation validation (OV), or Extended Validation (EV). Individual validation (IV) is below it.",
            "Document 2.2 (\"mindestens Class 3 oder Extended Validation\").",
            "Use an OV or EV certificate.",
            "verify, probe, scan",
            ["assurance.too-low"]),
        new(
            "R-C9",
            "The trust store is curated and reviewed",
            "CA certificates enter the trust directory only after a documented check that the CA validates strongly. CertPolicy's store is a reviewed manifest (trust/manifest.cfg) with a pinned SHA-256 per root, built in CI into PEM, PKCS#7 and an OpenSSL CApath.",
            "Document 5.2 and 5.7.",
            "Change the trust store only through the manifest and its review checklist (docs/trust-bundle-ci.md); rebuild with `certpolicy bundle build` and point smtp_tls_CApath at the result. A fingerprint or file mismatch means the root file is not the reviewed one.",
            "bundle build, trust list",
            ["TRUST-DUPLICATE", "TRUST-FILE-MISMATCH", "TRUST-FINGERPRINT", "TRUST-INCLUDE-NOFILE", "postfix.ca-outside-curated", "postfix.default-ca-appended"]),
        new(
            "R-C10",
            "Key and signature floors",
            "Keys are at least RSA 2048 bits or EC 256 bits (named curves P-256, P-384, P-521), and no certificate on the path is signed with MD5 or SHA-1. The 2019 document's key example (rsa:1024) is far below this floor. The same floors apply to S/MIME certificates and OpenPGP keys.",
            "Document 5.9.3 (the rsa:1024 example); CA/Browser Forum Baseline Requirements 6.1.5 (key sizes) and 7.1.3.2 (signature algorithms).",
            "Generate a new key of at least RSA 2048 or EC P-256 (`openssl req -newkey rsa:3072` or `-newkey ec -pkeyopt ec_paramgen_curve:P-256`) and have the certificate reissued with SHA-256 or better.",
            "verify, probe, scan, smime, pgp, bundle build",
            ["key.too-weak", "signature.weak-hash", "TRUST-KEY-FLOOR", "SMIME-KEY-TOO-WEAK", "SMIME-SIGNATURE-WEAK-HASH", "PGP-KEY-WEAK", "PGP-CURVE-UNKNOWN", "PGP-ALGORITHM-DEPRECATED", "PGP-SIG-WEAK-HASH", "PGP-KEY-PARAMETERS"]),
        new(
            "R-C11",
            "Certificates follow RFC 5280 and the CA/Browser Forum profiles (2026)",
            "Beyond the document: every certificate of the chain meets RFC 5280's MUSTs and the Baseline Requirements' certificate profiles (an end entity is never a CA, key identifiers are present, the CN is one of the subjectAltNames, no wildcard on a public suffix, well-formed extensions and name constraints, sane keys). A certificate that breaks them is mis-issued or from a private CA. Applied by partner-2026 and document-2019; postfix-secure reports only what OpenSSL refuses.",
            "RFC 5280 section 4.2; CA/Browser Forum Baseline Requirements 7.1 (certificate profiles).",
            "Ask the CA to reissue the certificate; a public CA must fix a profile violation. A private CA's certificates do not meet the partner policy.",
            "verify, probe, scan",
            ["profile.aia-malformed", "profile.aki-missing", "profile.anchor-aki", "profile.anchor-eku", "profile.blank-attribute", "profile.ca-basic-constraints-not-critical", "profile.cn-not-in-san", "profile.crldp-malformed", "profile.dns-name-invalid", "profile.ec-curve", "profile.eku-critical", "profile.eku-missing", "profile.leaf-is-ca", "profile.name-constraints-empty", "profile.name-constraints-leading-period", "profile.path-length-without-ca", "profile.policy-constraints-not-critical", "profile.rsa-exponent", "profile.rsa-modulus-size", "profile.san-critical", "profile.san-empty", "profile.san-missing", "profile.ski-missing", "profile.version", "profile.wildcard-public-suffix"]),
        new(
            "R-C12",
            "No revoked certificates (2026)",
            "Beyond the document: a certificate of the chain that its issuer revoked is refused. CertPolicy checks revocation only against CRLs you supply (--crl); it never fetches a CRL or asks an OCSP responder. A supplied CRL that cannot be used leaves the status unknown, which fails.",
            "RFC 5280 section 5 (CRLs) and 6.3 (CRL processing).",
            "Replace a revoked certificate. For an unusable CRL, download a current one from the CA's CRL distribution point and check again; --crl-check-all demands a CRL for every certificate below the root.",
            "verify",
            ["revocation.revoked", "revocation.no-crl", "revocation.not-checked", "revocation.crl-bad-signature", "revocation.crl-delta", "revocation.crl-expired", "revocation.crl-indirect", "revocation.crl-malformed", "revocation.crl-no-next-update", "revocation.crl-no-number", "revocation.crl-not-yet-valid", "revocation.crl-scope-unsupported", "revocation.crl-unknown-critical-extension", "revocation.issuer-not-crl-signer"]),
        new(
            "R-D1",
            "DANE where the partner publishes it (2026)",
            "Beyond the document: where a partner publishes DNSSEC-signed TLSA records for its MX hosts, they are checked and reported next to the partner rules. DANE never replaces the certificate rules: a DANE-EE self-signed certificate is DANE-valid and still breaks R-C7.",
            "RFC 7672 (SMTP security via DANE), RFC 6698 (TLSA).",
            "Publish TLSA records that match what the gateway sends: DANE-EE(3) SPKI(1) SHA2-256(1), a `3 1 1` record holding the SHA-256 of `openssl x509 -in CERT -pubkey -noout | openssl pkey -pubin -outform DER`, or DANE-TA(2) for an issuer certificate the gateway sends in its chain (the leaf must then name the MX host). Remove PKIX-TA(0) and PKIX-EE(1) records: SMTP clients ignore them. The levels dane and dane-only are evaluated (`certpolicy probe --level dane --dns 127.0.0.1:53`, or offline `certpolicy verify --tlsa \"3 1 1 HEX\"`): under profile postfix-secure as Postfix does (a DANE match replaces the CA chain; without usable DNSSEC-validated records dane falls back to may or encrypt, while dane-only and a failed or bogus look-up defer), under the partner profiles next to the certificate rules, which still apply; a partner with mandatory TLS whose dane level falls back fails R-T6.",
            "scan (docs/scan.md); probe at the levels dane and dane-only (--dns), verify --tlsa; library: TLSA matching (CertPolicy.Dane), MX, address and TLSA look-ups with the resolver's DNSSEC status (CertPolicy.Dns)",
            ["dane.valid", "dane.invalid", "dane.mismatch", "dane.ee-mismatch", "dane.ta-mismatch", "dane.ta-chain", "dane.ta-name-mismatch", "dane.record-unusable", "dane.no-usable-records", "dane.too-many-records", "dane.no-tlsa", "dane.tlsa-insecure", "dane.dnssec-bogus", "dane.tlsa-lookup-failed", "dane.tlsa", "dane.authenticated", "dane.no-input", "dane.tlsa-base-domain", "dane.mx-insecure", "dane.address-insecure", "dane.no-certificate", "scan.mx-dnssec-bogus", "scan.mx-address-dnssec-bogus"]),
        new(
            "R-D2",
            "MTA-STS where the partner publishes it (2026)",
            "Beyond the document: where a partner publishes an MTA-STS policy, its mode and mx patterns are checked next to the partner rules, and the stricter of the two applies.",
            "RFC 8461 (SMTP MTA Strict Transport Security), RFC 8460 (SMTP TLS Reporting).",
            "Publish a policy that names every gateway (`mx:` lines; a `*.` pattern covers exactly one label) and serve it from `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` with a certificate for that name, status 200, text/plain, no redirect. Run mode testing with a TLS-RPT record (`_smtp._tls`) before enforce. In Postfix, make the partner's tls_policy entry at least verify where the partner enforces MTA-STS, and keep its match= names consistent with the mx patterns.",
            "scan (docs/scan.md); `certpolicy serve --mta-sts` answers Postfix with the stricter of the table entry and the policy (docs/mta-sts-merge.md; its decisions on stderr); library: policy fetch, parsing and comparison (CertPolicy.MtaSts)",
            ["mta-sts.merge.no-policy", "mta-sts.merge.not-enforced", "mta-sts.merge.from-mta-sts", "mta-sts.merge.upgraded", "mta-sts.merge.table-stricter", "mta-sts.merge.table-dane", "mta-sts.merge.table-fingerprint", "mta-sts.enforce", "mta-sts.testing", "mta-sts.none", "mta-sts.partner-weaker", "mta-sts.partner-not-pkix", "mta-sts.dane-precedence", "mta-sts.partner-equivalent", "mta-sts.partner-stricter-names", "mta-sts.mx-not-covered", "mta-sts.mx-narrower", "mta-sts.mx-outside-match", "mta-sts.fetched", "mta-sts.dns-no-record", "mta-sts.tls-certificate", "mta-sts.redirect", "mta-sts.too-large", "mta-sts.timeout", "mta-sts.http-status", "mta-sts.content-type", "mta-sts.parse-error", "mta-sts.network", "mta-sts.dnssec-bogus", "mta-sts.dns-failed", "scan.level-raised", "tls-rpt.none", "tls-rpt.record", "tls-rpt.invalid", "tls-rpt.dns-failed"]),
        new(
            "R-G1",
            "Gateway encryption: the partner's key or certificate is usable",
            "To encrypt mail to a partner at its gateway, the partner supplies an OpenPGP public key or an S/MIME certificate (for a user or for the whole domain). It must be usable for encryption: valid now, not revoked, certified by its owner (OpenPGP self-signatures), for an address in the partner's domain, and for S/MIME chained to a root trusted for e-mail with emailProtection allowed on the path.",
            "Document 3.1.",
            "Ask the partner for a current key or certificate for its domain. For S/MIME the certificate needs keyEncipherment (RSA) or keyAgreement (EC) and an rfc822Name in the domain; for OpenPGP an encryption-capable subkey and a user ID in the domain.",
            "smime, pgp",
            ["leaf.eku", "chain.ca-eku", "trust.distrusted-after", "trust.not-for-email", "trust.distrust-soon", "expiry.soon", "SMIME-CHAIN-UNTRUSTED", "SMIME-CHAIN-EXPIRED", "SMIME-CHAIN-NOT-YET-VALID", "SMIME-TRUST-NOT-FOR-EMAIL", "SMIME-TRUST-DISTRUSTED-AFTER", "SMIME-EKU-NOT-EMAIL", "SMIME-KEY-USAGE-ENCRYPTION", "SMIME-KEY-USAGE-SIGNING", "SMIME-KEY-USAGE-ABSENT", "SMIME-NAME-MISMATCH", "SMIME-LEGACY-EMAIL-ATTRIBUTE", "SMIME-POLICY-NONE", "SMIME-POLICY-SEVERAL", "SMIME-EXPIRES-SOON", "SMIME-NAMES-MALFORMED", "SMIME-INTERNAL-ERROR", "PGP-KEY-EXPIRED", "PGP-KEY-NOT-YET-VALID", "PGP-KEY-REVOKED", "PGP-REVOCATION-UNVERIFIED", "PGP-SELFSIG-INVALID", "PGP-NO-SELFSIG", "PGP-SUBKEY-UNUSABLE", "PGP-UID-DOMAIN-MISMATCH", "PGP-SIG-UNSUPPORTED", "PGP-NO-ENCRYPTION-KEY", "PGP-INTERNAL-ERROR", "PGP-SIG-BUDGET-EXCEEDED"]),
        new(
            "R-G2",
            "Gateway encryption towards the partner: its domain key or certificate",
            "Mail to the partner is encrypted with the partner's own OpenPGP domain key or S/MIME certificate. The S/MIME domain certificate comes as a PKCS#7 container (audi_cert_container.p7b) that holds the end-entity certificate and its CAs.",
            "Document 3.2 and 3.2.1.",
            "Load the end-entity certificate of the container (`certpolicy container FILE` lists what it holds). A container without an end-entity certificate, or with several, is not the one the partner publishes.",
            "smime, container",
            ["SMIME-NO-CERTIFICATE", "SMIME-NO-END-ENTITY", "SMIME-SEVERAL-END-ENTITIES"]),
        new(
            "R-G3",
            "An OpenPGP key is used only if its fingerprint matches the published one",
            "The partner publishes its OpenPGP domain key's key ID (87381923) and fingerprint (4C23B19F 8CA3BCB3 216E4F5C 0FDC51D3 87381923). A key is used only if its fingerprint equals the published value; a key ID alone is not enough. The key block printed in the 2019 document is damaged by text extraction and is reported as such.",
            "Document 3.2; RFC 9580 5.5.4 (fingerprints and key IDs).",
            "Get the key from the partner directly and compare the full fingerprint (`certpolicy pgp FILE --fingerprint \"4C23 B19F ...\"`); never load a key that matches only by key ID.",
            "pgp",
            ["PGP-FINGERPRINT-MISMATCH", "PGP-KEYID-ONLY-MATCH", "PGP-MATCHED-SUBKEY"]),
        new(
            "R-E1",
            "Secret information: end-to-end to the recipient's personal certificate",
            "Gateway encryption ends at the partner's gateway. Information classified as secret is encrypted end to end with S/MIME to the recipient's personal certificate and decrypted with the recipient's personal PKI card.",
            "Document 4.1.",
            "For secret information, request the recipient's personal S/MIME certificate and encrypt in the mail client; a domain certificate is not enough.",
            "smime",
            ["SMIME-DOMAIN-CERT-FOR-MAILBOX"]),
        new(
            "R-A1",
            "The curated CA list of the document's annex",
            "The document lists eight CAs: Deutsche Telekom (TeleSec), Entrust.net, Equifax (GeoTrust), GTE CyberTrust, GlobalSign, TC TrustCenter, Thawte and VeriSign. By 2026 several are gone, distrusted or expired; the trust manifest keeps every annex entry with its status and successor, so that a reviewer sees why each root is or is not in the bundle. Profile document-2019 accepts only roots of these CAs.",
            "Document 7.1 (Anlage \"Certificate Authorities\"); root-program decisions on Symantec (2018) and Entrust (2024).",
            "See `certpolicy bundle build` (one line per annex CA: its status, successor and each root in or out, with the reason) and `certpolicy trust list`. Use a certificate from a CA that is still in the bundle.",
            "bundle build, trust list, verify (document-2019)",
            ["TRUST-ANNEX-MISSING", "TRUST-ANNEX-UNKNOWN", "TRUST-DUPLICATE", "TRUST-REF"]),
    ];

    /// <summary>The rule with this id (case-insensitive), or null.</summary>
    internal static RuleEntry? Find(string id)
    {
        foreach (var r in All)
        {
            if (string.Equals(r.Id, id.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return r;
            }
        }

        return null;
    }

    /// <summary>The rules a finding code carries (case-insensitive; a code may belong to several rules), in catalogue order.</summary>
    internal static IReadOnlyList<RuleEntry> FindByCode(string code)
    {
        var list = new List<RuleEntry>();
        string c = code.Trim();
        foreach (var r in All)
        {
            foreach (var k in r.Codes)
            {
                if (string.Equals(k, c, StringComparison.OrdinalIgnoreCase))
                {
                    list.Add(r);
                    break;
                }
            }
        }

        return list;
    }

    /// <summary>The text of <c>docs/rules.md</c>.</summary>
    internal static string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("# The rules CertPolicy checks\n\n");
        sb.Append("<!-- Generated from src/CertPolicy.Cli/Rules/RuleCatalog.cs; RuleCatalogTests keeps them equal. Do not edit by hand. -->\n\n");
        sb.Append("Every finding names one of these rules, e.g. `[R-T8]`. `certpolicy explain R-T8` prints the same text;\n");
        sb.Append("`certpolicy explain chain.expired` finds the rule of a finding code; `certpolicy explain` lists them all.\n\n");
        sb.Append("\"Document\" is the partner's guideline \"Hinweise zur E-Mail-Verschlüsselung mit der AUDI AG\", v1.2 (2019),\n");
        sb.Append("by its section numbers. Rules marked (2026) go beyond the document. Where the 2019 text is out of date,\n");
        sb.Append("the rule says what CertPolicy does instead; the profile `document-2019` keeps the document's values.\n\n");
        sb.Append("| rule | title |\n|---|---|\n");
        foreach (var r in All)
        {
            sb.Append("| [").Append(r.Id).Append("](#").Append(r.Id.ToLowerInvariant()).Append(") | ").Append(r.Title).Append(" |\n");
        }

        foreach (var r in All)
        {
            sb.Append("\n## ").Append(r.Id).Append('\n');
            sb.Append('\n').Append("**").Append(r.Title).Append("**\n\n");
            sb.Append("- **Requires:** ").Append(r.Requires).Append('\n');
            sb.Append("- **Source:** ").Append(r.Source).Append('\n');
            sb.Append("- **How to fix:** ").Append(r.Fix).Append('\n');
            sb.Append("- **Checked by:** ").Append(r.CheckedBy).Append('\n');
            if (r.Codes.Count > 0)
            {
                sb.Append("- **Finding codes:** ");
                for (int i = 0; i < r.Codes.Count; i++)
                {
                    sb.Append(i == 0 ? "`" : ", `").Append(r.Codes[i]).Append('`');
                }

                sb.Append('\n');
            }
        }

        return sb.ToString();
    }
}
