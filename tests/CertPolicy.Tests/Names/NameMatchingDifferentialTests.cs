using CertPolicy.Names;
using CertPolicy.Policy;

namespace CertPolicy.Tests.Names;

/// <summary>One CA and one private posttls-finger configuration for the whole differential table.</summary>
public sealed class PosttlsFingerFixture : IDisposable
{
    public PosttlsFingerFixture()
    {
        Pki = new TestPki();
        Finger = new PosttlsFinger(Pki.CaPem);
    }

    internal TestPki Pki { get; }

    internal PosttlsFinger Finger { get; }

    public void Dispose()
    {
        Finger.Dispose();
        Pki.Dispose();
    }
}

/// <summary>
/// Differential test of CertPolicy's certificate name matching (<see cref="NameChecker"/>,
/// <see cref="MatchList"/>) against the real Postfix 3.7 <c>posttls-finger</c> with OpenSSL 3.0
/// (postfix-tls.md sections 3, 5, 7.3, 8). Every row is run through both; the test asserts that
/// posttls-finger gives the verdict written in the row and that CertPolicy agrees, so it fails if
/// either side changes. A row may instead record a deliberate divergence (CertPolicy's verdict and a
/// written reason), which is then asserted exactly.
/// </summary>
/// <remarks>
/// Destinations are always bracketed (<c>[127.0.0.1]:PORT</c> or <c>[localhost]:PORT</c>), so there is
/// no MX lookup: for a <c>[host]</c> next hop posttls-finger uses the host itself as both the next-hop
/// domain and the <c>hostname</c>, and the library is called with the same two values. The MX-name
/// versus CNAME-target subtlety of <c>hostname</c> (postfix-tls.md 3.1) needs DNS and cannot be
/// probed on loopback; the <c>hostname</c> keyword is covered through <c>[localhost]</c> and
/// <c>[127.0.0.1]</c> instead. Not expressible either: a CN whose content is invalid for its string
/// type (bad UTF-8, odd-length BMPString) — .NET refuses to build such a certificate ("ASN1 corrupted
/// data"), and OpenSSL's d2i_X509 canonicalises subject names, so it could not load one either.
/// </remarks>
public sealed class NameMatchingDifferentialTests(PosttlsFingerFixture fixture) : IClassFixture<PosttlsFingerFixture>
{
    /// <summary>
    /// Columns: case id; level; destination (<c>ip</c> = <c>[127.0.0.1]</c>, <c>localhost</c> =
    /// <c>[localhost]</c>); subject CNs (space separated, one RDN each); SANs (space separated
    /// <c>dns:</c>/<c>ip:</c>/<c>email:</c>, nothing = no SAN extension; <c>\0</c> = a NUL byte);
    /// match names (space separated posttls-finger arguments, nothing = the level default);
    /// the expected verdict of posttls-finger (and of CertPolicy); optionally CertPolicy's verdict
    /// when it deliberately diverges (<c>refused</c> = <see cref="MatchList.TryCreate"/> fails) and why.
    /// </summary>
    [Theory]
    // exact names and case
    [InlineData("exact_match", "secure", "ip", "", "dns:mx1.example.net", "mx1.example.net", "verified")]
    [InlineData("exact_other_name", "secure", "ip", "", "dns:mx1.example.net", "mx2.example.net", "untrusted")]
    [InlineData("exact_second_san", "secure", "ip", "", "dns:a.example.org dns:mx1.example.net", "mx1.example.net", "verified")]
    [InlineData("any_reference_suffices", "secure", "ip", "", "dns:mx1.example.net", "nomatch.example.org mx1.example.net", "verified")]
    [InlineData("case_upper_san", "secure", "ip", "", "dns:MX1.EXAMPLE.NET", "mx1.example.net", "verified")]
    [InlineData("case_mixed_reference", "secure", "ip", "", "dns:mx1.example.net", "Mx1.EXAMPLE.Net", "verified")]
    // which presented names count (3.2)
    [InlineData("cn_ignored_when_dns_san", "secure", "ip", "mx1.example.net", "dns:other.example.net", "mx1.example.net", "untrusted")]
    [InlineData("san_used_when_cn_differs", "secure", "ip", "other.example.net", "dns:mx1.example.net", "mx1.example.net", "verified")]
    [InlineData("cn_only", "secure", "ip", "mx1.example.net", "", "mx1.example.net", "verified")]
    [InlineData("cn_only_mismatch", "secure", "ip", "mx1.example.net", "", "mx2.example.net", "untrusted")]
    [InlineData("cn_used_with_ip_san_only", "secure", "ip", "mx1.example.net", "ip:192.0.2.1", "mx1.example.net", "verified")]
    [InlineData("cn_used_with_email_san_only", "secure", "ip", "mx1.example.net", "email:postmaster@example.net", "mx1.example.net", "verified")]
    [InlineData("all_cns_second_matches", "secure", "ip", "first.example.org mx1.example.net", "", "mx1.example.net", "verified")]
    // wildcards (presented side only, no partial wildcards)
    [InlineData("wildcard_one_label", "secure", "ip", "", "dns:*.example.net", "mx2.example.net", "verified")]
    [InlineData("wildcard_two_labels", "secure", "ip", "", "dns:*.example.net", "a.b.example.net", "untrusted")]
    [InlineData("wildcard_bare_domain", "secure", "ip", "", "dns:*.example.net", "example.net", "untrusted")]
    [InlineData("wildcard_tld_is_literal", "secure", "ip", "", "dns:*.net", "example.net", "untrusted")]
    [InlineData("wildcard_tld_literal_equal", "secure", "ip", "", "dns:*.net", "*.net", "verified")]
    [InlineData("partial_wildcard_is_literal", "secure", "ip", "", "dns:mx*.example.net", "mx1.example.net", "untrusted")]
    [InlineData("partial_wildcard_literal_equal", "secure", "ip", "", "dns:mx*.example.net", "mx*.example.net", "verified")]
    [InlineData("double_wildcard_is_literal", "secure", "ip", "", "dns:*.*.example.net", "a.b.example.net", "untrusted")]
    [InlineData("double_wildcard_literal_equal", "secure", "ip", "", "dns:*.*.example.net", "*.*.example.net", "verified")]
    [InlineData("wildcard_matches_a_label", "secure", "ip", "", "dns:*.example.net", "xn--bcher-kva.example.net", "verified")]
    [InlineData("wildcard_over_a_label_parent", "secure", "ip", "", "dns:*.xn--bcher-kva.example", "mx.xn--bcher-kva.example", "verified")]
    [InlineData("wildcard_in_cn_without_san", "secure", "ip", "*.example.net", "", "mx2.example.net", "verified")]
    [InlineData("wildcard_upper_case_san", "secure", "ip", "", "dns:*.EXAMPLE.NET", "mx2.example.net", "verified")]
    [InlineData("literal_star_reference_equal", "secure", "ip", "", "dns:*.example.net", "*.example.net", "verified")]
    [InlineData("literal_star_reference_not_wildcard", "secure", "ip", "", "dns:mx1.example.net", "*.example.net", "untrusted")]
    // IDNA
    [InlineData("a_label_exact", "secure", "ip", "", "dns:xn--bcher-kva.example", "xn--bcher-kva.example", "verified")]
    [InlineData("u_label_reference", "secure", "ip", "", "dns:xn--bcher-kva.example", "b\u00fccher.example", "verified")]
    // suffix references
    [InlineData("suffix_one_label", "secure", "ip", "", "dns:mx1.example.net", ".example.net", "verified")]
    [InlineData("suffix_two_labels", "secure", "ip", "", "dns:a.b.example.net", ".example.net", "verified")]
    [InlineData("suffix_bare_domain", "secure", "ip", "", "dns:example.net", ".example.net", "untrusted")]
    [InlineData("suffix_label_boundary", "secure", "ip", "", "dns:evilexample.net", ".example.net", "untrusted")]
    [InlineData("suffix_not_in_middle", "secure", "ip", "", "dns:mx1.example.net.example.org", ".example.net", "untrusted")]
    [InlineData("suffix_case", "secure", "ip", "", "dns:MX1.EXAMPLE.NET", ".Example.Net", "verified")]
    [InlineData("suffix_equal_to_whole_name", "secure", "ip", "", "dns:mx1.example.net", ".mx1.example.net", "untrusted")]
    [InlineData("suffix_vs_wildcard_cert", "secure", "ip", "", "dns:*.example.net", ".example.net", "verified")]
    [InlineData("sub_suffix_vs_wildcard_cert", "secure", "ip", "", "dns:*.example.net", ".sub.example.net", "untrusted")]
    [InlineData("suffix_vs_deeper_wildcard_cert", "secure", "ip", "", "dns:*.sub.example.net", ".example.net", "verified")]
    // trailing dots: no normalisation
    [InlineData("trailing_dot_in_san", "secure", "ip", "", "dns:mx1.example.net.", "mx1.example.net", "untrusted")]
    [InlineData("trailing_dot_in_reference", "secure", "ip", "", "dns:mx1.example.net", "mx1.example.net.", "untrusted")]
    [InlineData("trailing_dot_both", "secure", "ip", "", "dns:mx1.example.net.", "mx1.example.net.", "verified")]
    [InlineData("trailing_dot_san_vs_suffix", "secure", "ip", "", "dns:mx1.example.net.", ".example.net", "untrusted")]
    // embedded NUL never matches
    [InlineData("nul_san_vs_prefix", "secure", "ip", "", "dns:mx1.example.net\\0.evil.example.org", "mx1.example.net", "untrusted")]
    [InlineData("nul_san_vs_suffix", "secure", "ip", "", "dns:mx1.example.net\\0.evil.example.org", ".evil.example.org", "untrusted")]
    [InlineData("nul_san_vs_whole_suffix", "secure", "ip", "", "dns:mx1.example.net\\0.evil.example.org", ".example.org", "untrusted")]
    [InlineData("nul_san_then_good_san", "secure", "ip", "", "dns:mx1.example.net\\0.evil.example.org dns:mx1.example.net", "mx1.example.net", "verified")]
    [InlineData("nul_in_cn", "secure", "ip", "mx1.example.net\\0.evil.example.org", "", "mx1.example.net", "untrusted")]
    // IP literals
    [InlineData("ip_reference_ip_san", "secure", "ip", "", "ip:192.0.2.1", "192.0.2.1", "verified")]
    [InlineData("ip_reference_other_ip", "secure", "ip", "", "ip:192.0.2.1", "192.0.2.2", "untrusted")]
    [InlineData("ip_reference_dns_san_text", "secure", "ip", "", "dns:192.0.2.1", "192.0.2.1", "untrusted")]
    [InlineData("ip_reference_cn_text", "secure", "ip", "192.0.2.1", "", "192.0.2.1", "untrusted")]
    [InlineData("ipv6_reference_ip_san", "secure", "ip", "", "ip:2001:db8::1", "2001:db8::1", "verified")]
    [InlineData("ip_and_host_both_required", "secure", "ip", "", "dns:mx1.example.net ip:192.0.2.9", "192.0.2.1 mx1.example.net", "untrusted")]
    [InlineData("ip_and_host_both_match", "secure", "ip", "", "dns:mx1.example.net ip:192.0.2.1", "192.0.2.1 mx1.example.net", "verified")]
    // level defaults and keywords (posttls-finger: secure = nexthop dot-nexthop, verify = hostname)
    [InlineData("secure_default_localhost", "secure", "localhost", "", "dns:localhost", "", "verified")]
    [InlineData("secure_default_localhost_sub", "secure", "localhost", "", "dns:mx.localhost", "", "verified")]
    [InlineData("secure_default_localhost_other", "secure", "localhost", "", "dns:localhost.example.net", "", "untrusted")]
    [InlineData("secure_default_ip_literal_fails", "secure", "ip", "", "dns:localhost ip:127.0.0.1", "", "untrusted")]
    [InlineData("secure_nexthop_ip_literal", "secure", "ip", "", "ip:127.0.0.1", "nexthop", "verified")]
    [InlineData("keyword_any_case", "secure", "localhost", "", "dns:localhost", "NEXTHOP", "verified")]
    [InlineData("dot_nexthop_not_bare", "secure", "localhost", "", "dns:localhost", "Dot-Nexthop", "untrusted")]
    [InlineData("verify_default_hostname", "verify", "localhost", "", "dns:localhost", "", "verified")]
    [InlineData("verify_default_hostname_mismatch", "verify", "localhost", "", "dns:mx1.example.net", "", "untrusted")]
    [InlineData("verify_default_ip_literal", "verify", "ip", "", "ip:127.0.0.1", "", "verified")]
    [InlineData("verify_default_ip_literal_dns_text", "verify", "ip", "", "dns:127.0.0.1", "", "untrusted")]
    [InlineData("verify_explicit_name", "verify", "ip", "", "dns:mx1.example.net", "mx1.example.net", "verified")]
    [InlineData("dot_only_is_ignored", "secure", "ip", "", "dns:mx1.example.net", ".", "untrusted")]
    // more edges (first run: agree)
    [InlineData("ip_first_of_two", "secure", "ip", "", "ip:192.0.2.1", "192.0.2.1 192.0.2.2", "verified")]
    [InlineData("secure_default_ip_dotted_san", "secure", "ip", "", "dns:a.127.0.0.1 ip:127.0.0.1", "", "verified")]
    [InlineData("ipv4_leading_zeros", "secure", "ip", "", "ip:192.0.2.1", "192.000.002.001", "verified")]
    [InlineData("cn_bmp", "secure", "ip", "bmp:mx1.example.net", "", "mx1.example.net", "verified")]
    [InlineData("cn_multivalued_rdn", "secure", "ip", "other.example.org+mx1.example.net", "", "mx1.example.net", "verified")]
    [InlineData("empty_dns_san_suppresses_cn", "secure", "ip", "mx1.example.net", "dns:", "mx1.example.net", "untrusted")]
    [InlineData("wildcard_single_label_tail_dot_nexthop", "secure", "localhost", "", "dns:*.localhost", "", "verified")]
    [InlineData("wildcard_underscore_label", "secure", "ip", "", "dns:*.example.net", "mx_1.example.net", "untrusted")]
    [InlineData("suffix_cn_only", "secure", "ip", "mx1.example.net", "", ".example.net", "verified")]
    [InlineData("idna_sharp_s_nontransitional", "secure", "ip", "", "dns:xn--fa-hia.example", "fa\u00df.example", "verified")]
    [InlineData("idna_sharp_s_transitional", "secure", "ip", "", "dns:fass.example", "fa\u00df.example", "untrusted")]
    [InlineData("u_label_suffix", "secure", "ip", "", "dns:mx.xn--bcher-kva.example", ".b\u00fccher.example", "verified")]
    // CN string types (OpenSSL compares ASN1_STRING_to_UTF8 output)
    [InlineData("cn_printable_string", "secure", "ip", "printable:mx1.example.net", "", "mx1.example.net", "verified")]
    [InlineData("cn_ia5_string", "secure", "ip", "ia5:mx1.example.net", "", "mx1.example.net", "verified")]
    [InlineData("cn_teletex_string", "secure", "ip", "t61:mx1.example.net", "", "mx1.example.net", "verified")]
    [InlineData("cn_bmp_non_ascii_vs_a_label", "secure", "ip", "bmp:mx1.ex\u00e4mple.net", "", "mx1.xn--exmple-cua.net", "untrusted")]
    [InlineData("cn_wildcard_ignored_with_dns_san", "secure", "ip", "*.example.net", "dns:other.example.org", "mx1.example.net", "untrusted")]
    // more wildcard, suffix and case edges
    [InlineData("san_upper_case_a_label", "secure", "ip", "", "dns:XN--BCHER-KVA.example", "xn--bcher-kva.example", "verified")]
    [InlineData("partial_a_label_wildcard_is_literal", "secure", "ip", "", "dns:xn--*.example.net", "xn--abc.example.net", "untrusted")]
    [InlineData("wildcard_in_second_label_is_literal", "secure", "ip", "", "dns:mx1.*.example.net", "mx1.a.example.net", "untrusted")]
    [InlineData("wildcard_with_trailing_dot_is_literal", "secure", "ip", "", "dns:*.example.net.", "mx1.example.net.", "untrusted")]
    [InlineData("wildcard_hyphen_label", "secure", "ip", "", "dns:*.example.net", "mx-1.example.net", "verified")]
    [InlineData("wildcard_numeric_label", "secure", "ip", "", "dns:*.example.net", "123.example.net", "verified")]
    [InlineData("suffix_with_trailing_dot_both", "secure", "ip", "", "dns:mx1.example.net.", ".example.net.", "verified")]
    [InlineData("second_suffix_reference_matches", "secure", "ip", "", "dns:mx1.example.net", ".example.org .example.net", "verified")]
    [InlineData("secure_default_upper_case_san", "secure", "localhost", "", "dns:LOCALHOST", "", "verified")]
    [InlineData("hostname_keyword_upper_case", "verify", "localhost", "", "dns:localhost", "HOSTNAME", "verified")]
    // Found by this test (CertPolicy disagreed before the fix in the same commit; see the commit message):
    // OpenSSL keeps a single IP reference: a second one is refused ("error loading match name") and skipped.
    [InlineData("ip_second_ip_reference_ignored", "secure", "ip", "", "ip:192.0.2.2", "192.0.2.1 192.0.2.2", "untrusted")]
    [InlineData("nexthop_ip_then_ip_literal_ignored", "secure", "ip", "", "ip:192.0.2.1", "nexthop 192.0.2.1", "untrusted")]
    [InlineData("ip_literal_then_hostname_ip_ignored", "verify", "ip", "", "ip:192.0.2.1", "192.0.2.1 hostname", "verified")]
    // ... and decides "is an IP" with a2i_IPADDRESS (sscanf "%d" for IPv4, no brackets or zone ids for IPv6).
    [InlineData("ipv4_with_plus_sign_is_ip", "secure", "ip", "", "ip:192.0.2.1", "+192.0.2.1", "verified")]
    [InlineData("ipv4_sign_inside_is_ip", "secure", "ip", "", "ip:192.0.2.1", "192.0.2.+1", "verified")]
    [InlineData("ipv4_int_truncation_is_ip", "secure", "ip", "", "ip:192.0.2.1", "4294967488.0.2.1", "verified")]
    [InlineData("ipv6_zone_id_is_host_name", "secure", "ip", "", "ip:fe80::1", "fe80::1%1", "untrusted")]
    [InlineData("ipv6_brackets_is_host_name", "secure", "ip", "", "ip:2001:db8::1", "[2001:db8::1]", "untrusted")]
    [InlineData("ipv6_five_hex_digits_is_host_name", "secure", "ip", "", "ip:2001:db8::1", "2001:db8::00001", "untrusted")]
    [InlineData("ipv6_upper_case_hex", "secure", "ip", "", "ip:2001:db8::1", "2001:DB8::1", "verified")]
    [InlineData("ipv6_embedded_ipv4", "secure", "ip", "", "ip:::ffff:192.0.2.1", "::ffff:192.0.2.1", "verified")]
    [InlineData("ipv4_mapped_reference_vs_ipv4_san", "secure", "ip", "", "ip:192.0.2.1", "::ffff:192.0.2.1", "untrusted")]
    // A presented name that itself starts with "." equals a suffix reference of the same length (skip_prefix()).
    [InlineData("dot_san_equals_suffix_reference", "secure", "ip", "", "dns:.example.net", ".example.net", "verified")]
    [InlineData("dot_san_equals_dot_nexthop", "secure", "localhost", "", "dns:.localhost", "", "verified")]
    [InlineData("dot_san_shorter_than_suffix", "secure", "ip", "", "dns:.example.net", ".sub.example.net", "untrusted")]
    // U-label references are mapped with UTS #46, which lower-cases first.
    [InlineData("u_label_upper_case_reference", "secure", "ip", "", "dns:xn--bcher-kva.example", "B\u00dcCHER.example", "verified")]
    // Deliberate divergence: Postfix warns and keeps an unconvertible U-label as raw UTF-8 (it can never
    // equal an ASCII dNSName); CertPolicy refuses the whole match list so the configuration error surfaces.
    [InlineData("u_label_invalid_idna", "secure", "ip", "", "dns:mx1.example.net", "\u00fc..example mx1.example.net", "verified",
        "refused", "MatchList.TryCreate rejects a U-label that is not valid IDNA (empty label) instead of keeping it as an unmatchable raw name")]
    public Task Posttls_finger_and_NameChecker_agree(string id, string level, string destination, string commonNames, string sans, string matchNames, string expected, string? libraryDivergence = null, string? why = null) =>
        RunCaseAsync(
            id,
            level,
            destination,
            [.. Split(commonNames).Select(TestPki.Unescape)],
            [.. Split(sans).Select(SanEntry.Parse)],
            Split(matchNames),
            expected,
            libraryDivergence,
            why);

    /// <summary>
    /// Whether a match name is an IP check or a host-name check is OpenSSL's <c>a2i_IPADDRESS</c>
    /// decision, quirks included (ported in <c>OpenSslIPAddress</c>). One match name per row, taken
    /// verbatim (spaces included, which the table above cannot express); the certificate has only an
    /// iPAddress SAN, so "verified" means "was an IP check for that address", "untrusted" means
    /// "was a host-name check" (or a different address).
    /// </summary>
    [Theory]
    [InlineData("v4_leading_space", " 192.0.2.1", "192.0.2.1", "verified")]
    [InlineData("v4_trailing_space", "192.0.2.1 ", "192.0.2.1", "verified")]
    [InlineData("v4_space_then_junk", "192.0.2.1 junk", "192.0.2.1", "verified")]
    [InlineData("v4_junk_suffix", "192.0.2.1x", "192.0.2.1", "untrusted")]
    [InlineData("v4_space_after_dot", "192. 0.2.1", "192.0.2.1", "verified")]
    [InlineData("v4_space_before_dot", "192 .0.2.1", "192.0.2.1", "untrusted")]
    [InlineData("v4_minus_zero", "-0.0.2.1", "0.0.2.1", "verified")]
    [InlineData("v4_three_parts", "192.0.2", "192.0.2.0", "untrusted")]
    [InlineData("v4_octet_256", "192.0.2.256", "192.0.2.1", "untrusted")]
    [InlineData("v6_unspecified", "::", "::", "verified")]
    [InlineData("v6_trailing_double_colon", "2001:db8::", "2001:db8::", "verified")]
    [InlineData("v6_embedded_v4_after_double_colon", "::192.0.2.1", "::192.0.2.1", "verified")]
    [InlineData("v6_embedded_v4_not_last", "192.0.2.1::", "::", "untrusted")]
    [InlineData("v6_full_eight_groups", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", "verified")]
    [InlineData("v6_eight_groups_and_double_colon", "1:2:3:4:5:6:7::8", "1:2:3:4:5:6:7:8", "untrusted")]
    [InlineData("v6_single_leading_colon", ":1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7", "untrusted")]
    [InlineData("v6_trailing_space", "2001:db8::1 ", "2001:db8::1", "untrusted")]
    [InlineData("v6_embedded_v4_leading_space", "::ffff: 192.0.2.1", "::ffff:192.0.2.1", "verified")]
    public Task Ip_literal_match_name_parsing_agrees(string id, string matchName, string ipSan, string expected) =>
        RunCaseAsync(id, "secure", "ip", [], [new SanEntry(SanKind.IP, ipSan)], [matchName], expected, null, null);

    private async Task RunCaseAsync(string id, string level, string destination, string[] cns, SanEntry[] sanEntries, string[] names, string expected, string? libraryDivergence, string? why)
    {
        string binary = PosttlsFinger.Require();
        string host = destination switch
        {
            "ip" => "127.0.0.1",
            "localhost" => "localhost",
            _ => throw new ArgumentException($"unknown destination {destination}", nameof(destination)),
        };
        var securityLevel = level switch
        {
            "secure" => SecurityLevel.Secure,
            "verify" => SecurityLevel.Verify,
            _ => throw new ArgumentException($"unknown level {level}", nameof(level)),
        };

        using var leaf = fixture.Pki.IssueLeaf(cns, sanEntries);

        // CertPolicy: the level default when posttls-finger gets no match arguments (it then uses its
        // hard-coded defaults, postfix-tls.md 8), else the arguments one by one.
        MatchList? list;
        string? error = null;
        if (names.Length == 0)
        {
            list = MatchList.DefaultFor(securityLevel);
        }
        else
        {
            MatchList.TryCreate(names, out list, out error);
        }

        NameCheckResult check = default;
        string library = "refused";
        if (list is not null)
        {
            check = NameChecker.Check(leaf.RawData, list, host, host);
            library = check.IsMatch ? "verified" : "untrusted";
        }

        PosttlsFingerResult postfix;
        await using (var server = new LoopbackSmtpServer(leaf, fixture.Pki.Ca))
        {
            postfix = await fixture.Finger.ProbeAsync(binary, level, $"[{host}]:{server.Port}", names);
            Assert.True(
                postfix.Verdict != "failed",
                $"{id}: posttls-finger reported no TLS session (exit {postfix.ExitCode}); server errors: {string.Join("; ", server.Errors)}\n{postfix.Output}");
        }

        string detail = $"{id}: level={level} destination=[{host}] CNs=[{string.Join(" | ", cns)}] SANs=[{string.Join(" | ", sanEntries)}] match=[{string.Join(" | ", names)}]\n"
            + $"posttls-finger: {postfix.Verdict}; CertPolicy: {library} ({(list is null ? "TryCreate: " + error : check.Status.ToString())})\n"
            + $"posttls-finger output:\n{postfix.Output}";
        Assert.True(postfix.Verdict == expected, $"posttls-finger says {postfix.Verdict}, the table expects {expected}\n" + detail);
        if (libraryDivergence is null)
        {
            Assert.True(library == postfix.Verdict, "DISAGREEMENT between posttls-finger and CertPolicy\n" + detail);
        }
        else
        {
            // A documented, deliberate divergence: CertPolicy must give exactly the recorded verdict.
            Assert.False(string.IsNullOrWhiteSpace(why), $"{id}: a divergence row needs a written reason");
            Assert.True(library == libraryDivergence, $"documented divergence ({why}): CertPolicy should say {libraryDivergence}\n" + detail);
        }

        if (expected == "untrusted")
        {
            // The verdict must come from the name check, not from chain trust (the CA is in -F).
            Assert.True(
                postfix.Output.Contains("num=62:hostname mismatch", StringComparison.Ordinal)
                || postfix.Output.Contains("num=64:IP address mismatch", StringComparison.Ordinal)
                || postfix.Output.Contains("could not configure peer name checks", StringComparison.Ordinal),
                "untrusted for a reason other than the names\n" + detail);
            Assert.DoesNotContain("unable to get local issuer", postfix.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Harness control: the same name from a CA posttls-finger does not trust must be Untrusted for
    /// a chain reason, so Verified rows really depend on the -F CA file and the names.
    /// </summary>
    [Fact]
    public async Task Posttls_finger_rejects_a_leaf_from_an_untrusted_ca()
    {
        string binary = PosttlsFinger.Require();
        using var otherCa = new TestPki("CN=CertPolicy Names Untrusted CA, O=CertPolicy Tests");
        using var leaf = otherCa.IssueLeaf([], [new SanEntry(SanKind.Dns, "mx1.example.net")]);
        await using var server = new LoopbackSmtpServer(leaf, otherCa.Ca);
        var result = await fixture.Finger.ProbeAsync(binary, "secure", $"[127.0.0.1]:{server.Port}", ["mx1.example.net"]);
        Assert.True(result.Verdict == "untrusted", result.Output);
        Assert.Contains("verification failed", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("hostname mismatch", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Verdict_parser_reads_the_summary_word()
    {
        Assert.Equal("verified", PosttlsFinger.ParseVerdict("posttls-finger: Verified TLS connection established to 127.0.0.1[127.0.0.1]:25: TLSv1.3 with cipher X"));
        Assert.Equal("untrusted", PosttlsFinger.ParseVerdict("posttls-finger: x: num=62:hostname mismatch\nposttls-finger: Untrusted TLS connection established to h[127.0.0.1]:25: TLSv1.3"));
        Assert.Equal("failed", PosttlsFinger.ParseVerdict("posttls-finger: Connected to 127.0.0.1[127.0.0.1]:25\n"));
    }

    private static string[] Split(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
