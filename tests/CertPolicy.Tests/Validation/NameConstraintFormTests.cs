using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using CertPolicy.Names;
using CertPolicy.Tests.Support;
using CertPolicy.Validation;
using CertPolicy.X509;
using Xunit.Abstractions;

namespace CertPolicy.Tests.Validation;

/// <summary>
/// RFC 5280 4.2.1.10 / 6.1.3 (b, c) name constraints on directoryName and rfc822Name, and on forms the checker does not evaluate:
/// a subtree of a form the certificate does not use is ignored; one it uses and cannot be evaluated refuses the path. The intermediate of
/// the R-C11 base chain carries the constraints; each row is compared with real <c>openssl verify</c> (3.0) too.
/// </summary>
public sealed class NameConstraintFormTests(ITestOutputHelper output)
{
    private const string Ok = "ok", Violated = "chain.name-constraints", Unsupported = "chain.name-constraints-unsupported";

    // Subtrees and SAN entries are written "form:value": dns, email, dir (RFC 4514 text, as .NET encodes it), uri, other (an otherName).
    private static readonly string[] BaseSan = ["dns:mail.example.com", "dns:example.com"];

    public static TheoryData<string, string[], string[], string[], string?, string, bool> Rows() => new()
    {
        // name, permitted, excluded, extra leaf SANs, leaf subject (null: base "CN=mail.example.com,O=Example GmbH,C=DE"), expected, OpenSSL agrees

        // directoryName over the subject
        { "dir-permitted-match", ["dir:O=Example GmbH,C=DE"], [], [], null, Ok, true },
        { "dir-permitted-match-whole-subject", ["dir:CN=mail.example.com,O=Example GmbH,C=DE"], [], [], null, Ok, true },
        { "dir-permitted-match-case-and-spaces", ["dir:O=EXAMPLE  gmbh,C=DE"], [], [], null, Ok, true },
        { "dir-permitted-mismatch", ["dir:O=Other GmbH,C=DE"], [], [], null, Violated, true },
        { "dir-permitted-longer-than-subject", ["dir:OU=Mail,CN=mail.example.com,O=Example GmbH,C=DE"], [], [], null, Violated, true },
        { "dir-permitted-not-a-prefix", ["dir:O=Example GmbH"], [], [], null, Violated, true },
        { "dir-permitted-one-of-two", ["dir:O=Other GmbH,C=DE", "dir:C=DE"], [], [], null, Ok, true },
        { "dir-excluded-match", [], ["dir:O=Example GmbH,C=DE"], [], null, Violated, true },
        { "dir-excluded-mismatch", [], ["dir:O=Other GmbH,C=DE"], [], null, Ok, true },
        { "dir-excluded-country", [], ["dir:C=DE"], [], null, Violated, true },

        // directoryName SANs are constrained too
        { "dir-san-outside-permitted", ["dir:C=DE"], [], ["dir:O=Elsewhere,C=FR"], null, Violated, true },
        { "dir-san-in-excluded", [], ["dir:C=FR"], ["dir:O=Elsewhere,C=FR"], null, Violated, true },
        { "dir-san-inside-permitted", ["dir:C=DE"], [], ["dir:O=Other,C=DE"], null, Ok, true },

        // rfc822Name over rfc822Name SANs
        { "email-permitted-host", ["email:example.com"], [], ["email:alice@example.com"], null, Ok, true },
        { "email-permitted-host-case", ["email:EXAMPLE.com"], [], ["email:alice@example.COM"], null, Ok, true },
        { "email-permitted-host-not-subdomain", ["email:example.com"], [], ["email:alice@mail.example.com"], null, Violated, true },
        { "email-permitted-domain", ["email:.example.com"], [], ["email:alice@mail.example.com"], null, Ok, true },
        { "email-permitted-domain-not-host", ["email:.example.com"], [], ["email:alice@example.com"], null, Violated, true },
        { "email-permitted-mailbox", ["email:alice@example.com"], [], ["email:alice@example.com"], null, Ok, true },
        { "email-permitted-other-mailbox", ["email:alice@example.com"], [], ["email:bob@example.com"], null, Violated, true },
        { "email-permitted-mismatch", ["email:example.net"], [], ["email:alice@example.com"], null, Violated, true },
        { "email-excluded-host", [], ["email:example.com"], ["email:alice@example.com"], null, Violated, true },
        { "email-excluded-domain", [], ["email:.example.com"], ["email:alice@mail.example.com"], null, Violated, true },
        { "email-excluded-mismatch", [], ["email:example.net"], ["email:alice@example.com"], null, Ok, true },
        { "email-and-dns-constraints", ["dns:example.com", "email:example.com"], [], ["email:alice@example.com"], null, Ok, true },

        // rfc822Name over the subject's emailAddress when there is no rfc822Name SAN
        { "email-attribute-permitted", ["email:example.com"], [], [], "E=alice@example.com,CN=mail.example.com,O=Example GmbH,C=DE", Ok, true },
        { "email-attribute-outside-permitted", ["email:example.com"], [], [], "E=alice@example.net,CN=mail.example.com,O=Example GmbH,C=DE", Violated, true },
        { "email-attribute-excluded", [], ["email:example.net"], [], "E=alice@example.net,CN=mail.example.com,O=Example GmbH,C=DE", Violated, true },

        // OpenSSL also checks the emailAddress attribute beside rfc822Name SANs; RFC 5280 4.2.1.10 (followed here) does not.
        { "email-attribute-beside-san", ["email:example.com"], [], ["email:alice@example.com"], "E=alice@example.net,CN=mail.example.com,O=Example GmbH,C=DE", Ok, false },

        // a form the certificate does not use is ignored
        { "email-unused-permitted", ["email:example.com"], [], [], null, Ok, true },
        { "email-unused-excluded", [], ["email:example.com"], [], null, Ok, true },
        { "uri-unused-permitted", ["uri:https://example.com"], [], [], null, Ok, true },
        { "uri-unused-excluded", [], ["uri:example.com"], [], null, Ok, true },
        { "other-name-unused", [], ["other:1.3.6.1.5.5.7.8.9"], [], null, Ok, true },
        { "dir-and-dns-unused-email", ["dns:example.com", "email:example.net"], [], [], null, Ok, true },

        // a form the certificate uses that is not evaluated refuses the path (fail closed; OpenSSL evaluates URI constraints)
        { "uri-used-permitted", ["uri:example.com"], [], ["uri:https://example.com/x"], null, Unsupported, false },
        { "uri-used-excluded", [], ["uri:example.net"], ["uri:https://example.com/x"], null, Unsupported, false },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void Constraint_on_a_name_form(string name, string[] permitted, string[] excluded, string[] san, string? subject, string expected, bool opensslAgrees)
    {
        var chain = Chain(permitted, excluded, san, subject);
        foreach (var profile in new[] { ValidationProfile.PostfixSecure, ValidationProfile.Partner2026 })
        {
            var validator = new ChainValidator(TestChains.Store(chain.Root, [], null));
            var request = TestChains.Request(profile, "example.com");
            var report = validator.Explain(chain.Presented, request);
            Assert.Equal(report.Verdict, validator.Evaluate(chain.Presented, request));
            output.WriteLine(profile.Name + ": " + string.Join("; ", report.Findings.Select(f => f.Code + "@" + f.Depth + " " + f.Message)));
            var nc = report.Findings.Where(f => f.Code.StartsWith("chain.name-constraints", StringComparison.Ordinal)).ToList();
            if (expected == Ok)
            {
                Assert.Empty(nc);
                if (profile == ValidationProfile.PostfixSecure)
                {
                    Assert.True(report.Verdict.IsCompliant, name);
                }
            }
            else
            {
                var f = Assert.Single(nc);
                Assert.Equal((expected, "R-C3", 1), (f.Code, f.Rule, f.Depth));
                Assert.False(report.Verdict.IsCompliant);
                Assert.DoesNotContain("System.", f.Message, StringComparison.Ordinal);
            }
        }

        bool opensslOk = OpenSslAccepts(chain, out var text);
        output.WriteLine("openssl: " + text);
        Assert.Equal(opensslAgrees, opensslOk == (expected == Ok));
    }

    [Fact]
    public void Messages_name_the_name_and_the_subtree()
    {
        var dir = Explain(Chain(["dir:O=Other GmbH,C=DE"], [], [], null));
        Assert.Equal("the directory name \"CN=mail.example.com, O=Example GmbH, C=DE\" of certificate 0 lies outside every permitted directory name subtree of certificate 1", dir);
        var mail = Explain(Chain([], ["email:.example.com"], ["email:alice@mail.example.com"], null));
        Assert.Equal("the e-mail address \"alice@mail.example.com\" of certificate 0 lies in the excluded subtree \".example.com\" of certificate 1", mail);
        var attr = Explain(Chain(["email:example.com"], [], [], "E=alice@example.net,CN=mail.example.com,O=Example GmbH,C=DE"));
        Assert.Equal("the e-mail address (subject emailAddress) \"alice@example.net\" of certificate 0 lies outside every permitted e-mail subtree of certificate 1", attr);
    }

    [Fact]
    public void SMIME_chain_through_an_rfc822_constrained_CA_is_accepted()
    {
        // S/MIME leaf (emailProtection, rfc822Name SAN only) under a CA constrained to example.com mailboxes.
        var t = ProfileCases.Base();
        var leaf = t.Leaf.With(RawDer.ExtKeyUsage, false, RawDer.EkuValue("1.3.6.1.5.5.7.3.4"))
            .With(RawDer.SubjectAltName, false, GeneralNames(["email:alice@example.com"]))
            .With(RawDer.KeyUsage, true, RawDer.KeyUsageValue(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation));
        leaf = leaf with { SubjectDer = RawDer.Name("CN=Alice,O=Example GmbH,C=DE") };
        foreach (var (permitted, compliant) in new[] { ("email:example.com", true), ("email:example.net", false) })
        {
            var chain = ProfileCases.Sign(t with { Intermediate = t.Intermediate.Append(RawDer.NameConstraints, true, NameConstraints([permitted], [])), Leaf = leaf });
            var validator = new ChainValidator(TestChains.Store(chain.Root, [], null));
            var request = new ValidationRequest { Time = TestChains.At, NextHop = "example.com", Profile = ValidationProfile.PostfixSecure, Purpose = CertPolicy.Trust.RootPurposes.Email };
            var report = validator.Explain(chain.Presented, request);
            Assert.Equal(report.Verdict, validator.Evaluate(chain.Presented, request));
            Assert.True(compliant == report.Verdict.IsCompliant, permitted + ": " + string.Join("; ", report.Findings.Select(f => f.Code + " " + f.Message)));
            Assert.DoesNotContain(report.Findings, f => f.Code == Unsupported);
        }
    }

    [Fact]
    public void Directory_and_email_comparisons_spend_the_budget()
    {
        // 40 directoryName subtrees, none matching: 40 comparisons for the subject; a budget of 10 runs out.
        var permitted = Enumerable.Range(0, 40).Select(i => "dir:O=Org " + i.ToString(CultureInfo.InvariantCulture) + ",C=FR").ToArray();
        var chain = Chain(permitted, [], [], null);
        Assert.True(CertificateView.TryParse(chain.Intermediate, out var ca, out _));
        var names = new PresentedName[CertificateNames.MaxNames];
        int n = CertificateNames.Read(chain.Leaf, names);
        var small = new Budget(100, 100, 10);
        Assert.Equal(NameConstraintResult.BudgetExceeded, NameConstraintChecker.Check(ca, chain.Leaf, names.AsSpan(0, n), isLeaf: true, ref small));
        var enough = new Budget(100, 100, 40);
        Assert.Equal(NameConstraintResult.Violated, NameConstraintChecker.Check(ca, chain.Leaf, names.AsSpan(0, n), isLeaf: true, ref enough));
        Assert.Equal(0, enough.NameConstraintComparisons);
    }

    [Theory]
    [InlineData("example.com", "a@example.com", true)]
    [InlineData("example.com", "a@EXAMPLE.COM", true)]
    [InlineData("example.com", "a@x.example.com", false)]
    [InlineData(".example.com", "a@x.example.com", true)]
    [InlineData(".example.com", "a@example.com", false)]
    [InlineData(".example.com", "a@xexample.com", false)]
    [InlineData("a@example.com", "a@Example.com", true)]
    [InlineData("a@example.com", "A@example.com", false)]
    [InlineData("a@example.com", "b@example.com", false)]
    [InlineData("", "a@example.com", true)]
    [InlineData("example.com", "\"x@y\"@example.com", true)]
    public void Mailbox_against_one_subtree(string constraint, string address, bool expected) =>
        Assert.Equal(expected, NameConstraintChecker.MailboxMatches(Bytes(constraint), Bytes(address)));

    [Theory]
    [InlineData("C=DE", "CN=x,O=Example,C=DE", true)]
    [InlineData("O=Example,C=DE", "CN=x,O=Example,C=DE", true)]
    [InlineData("O=example,C=de", "CN=x,O=Example,C=DE", true)]
    [InlineData("O=Exam ple,C=DE", "CN=x,O=Exam   ple,C=DE", true)]
    [InlineData("O=Exampel,C=DE", "CN=x,O=Example,C=DE", false)]
    [InlineData("O=Example", "CN=x,O=Example,C=DE", false)]
    [InlineData("CN=y,O=Example,C=DE", "O=Example,C=DE", false)]
    [InlineData("OU=Example,C=DE", "CN=x,O=Example,C=DE", false)]
    [InlineData("", "CN=x,C=DE", true)]
    public void Directory_name_against_one_subtree(string constraint, string name, bool expected) =>
        Assert.Equal(expected, NameConstraintChecker.DirectoryNameWithin(new X500DistinguishedName(constraint).RawData, new X500DistinguishedName(name).RawData));

    [Fact]
    public void Multi_valued_RDNs_match_in_any_order_and_other_string_types_only_exactly()
    {
        byte[] Rdn(params (string Oid, UniversalTagNumber Tag, string Value)[] atvs)
        {
            var w = new AsnWriter(AsnEncodingRules.BER);
            using (w.PushSequence())
            using (w.PushSetOf())
            {
                foreach (var (oid, tag, value) in atvs)
                {
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier(oid);
                        w.WriteCharacterString(tag, value);
                    }
                }
            }

            return w.Encode();
        }

        // BER writing keeps the order given, so the two sets differ in order (and in string type for the second row).
        var a = Rdn(("2.5.4.10", UniversalTagNumber.UTF8String, "Example"), ("2.5.4.11", UniversalTagNumber.UTF8String, "Mail"));
        var b = Rdn(("2.5.4.11", UniversalTagNumber.UTF8String, "Mail"), ("2.5.4.10", UniversalTagNumber.PrintableString, "EXAMPLE"));
        Assert.True(NameConstraintChecker.DirectoryNameWithin(a, b));
        var bmp = Rdn(("2.5.4.10", UniversalTagNumber.BMPString, "Example"), ("2.5.4.11", UniversalTagNumber.UTF8String, "Mail"));
        Assert.False(NameConstraintChecker.DirectoryNameWithin(a, bmp));
        var fewer = Rdn(("2.5.4.10", UniversalTagNumber.UTF8String, "Example"));
        Assert.False(NameConstraintChecker.DirectoryNameWithin(a, fewer));
        Assert.False(NameConstraintChecker.DirectoryNameWithin(fewer, a));
    }

    private string Explain(TestChain chain)
    {
        var report = new ChainValidator(TestChains.Store(chain.Root, [], null)).Explain(chain.Presented, TestChains.Request(ValidationProfile.PostfixSecure, "example.com"));
        output.WriteLine(string.Join("; ", report.Findings.Select(f => f.Code + " " + f.Message)));
        return Assert.Single(report.Findings, f => f.Code == Violated).Message;
    }

    private static byte[] Bytes(string s) => System.Text.Encoding.ASCII.GetBytes(s);

    private static TestChain Chain(string[] permitted, string[] excluded, string[] san, string? subject)
    {
        var t = ProfileCases.Base();
        var leaf = t.Leaf.With(RawDer.SubjectAltName, false, GeneralNames([.. BaseSan, .. san]));
        if (subject is not null)
        {
            leaf = leaf with { SubjectDer = RawDer.Name(subject) };
        }

        var nc = NameConstraints(permitted.Length == 0 ? null : permitted, excluded.Length == 0 ? null : excluded);
        return ProfileCases.Sign(t with { Intermediate = t.Intermediate.Append(RawDer.NameConstraints, true, nc), Leaf = leaf });
    }

    private static bool OpenSslAccepts(TestChain chain, out string text)
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var dir = new TempDir();
        var root = dir.File("root.pem", TestCertificates.ToPem(chain.Root));
        var inter = dir.File("int.pem", TestCertificates.ToPem(chain.Intermediate));
        var leaf = dir.File("leaf.pem", TestCertificates.ToPem(chain.Leaf));
        var (exit, stdout, stderr) = Tool.Run(openssl, ["verify", "-CAfile", root, "-untrusted", inter, "-purpose", "sslserver", "-attime", TestChains.At.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), leaf]);
        text = stdout + stderr;
        return exit == 0;
    }

    private static byte[] NameConstraints(string[]? permitted, string[]? excluded)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            foreach (var (tag, list) in new[] { (0, permitted), (1, excluded) })
            {
                if (list is null)
                {
                    continue;
                }

                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, tag)))
                {
                    foreach (var s in list)
                    {
                        using (w.PushSequence())
                        {
                            WriteGeneralName(w, s);
                        }
                    }
                }
            }
        }

        return w.Encode();
    }

    private static byte[] GeneralNames(string[] names)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            foreach (var s in names)
            {
                WriteGeneralName(w, s);
            }
        }

        return w.Encode();
    }

    private static void WriteGeneralName(AsnWriter w, string spec)
    {
        int colon = spec.IndexOf(':', StringComparison.Ordinal);
        string form = spec[..colon], value = spec[(colon + 1)..];
        switch (form)
        {
            case "email":
                w.WriteOctetString(Bytes(value), new Asn1Tag(TagClass.ContextSpecific, 1));
                break;
            case "dns":
                w.WriteOctetString(Bytes(value), new Asn1Tag(TagClass.ContextSpecific, 2));
                break;
            case "dir":
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, true)))
                {
                    w.WriteEncodedValue(new X500DistinguishedName(value).RawData);
                }

                break;
            case "uri":
                w.WriteOctetString(Bytes(value), new Asn1Tag(TagClass.ContextSpecific, 6));
                break;
            case "other":
                using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
                {
                    w.WriteObjectIdentifier(value);
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, true)))
                    {
                        w.WriteCharacterString(UniversalTagNumber.UTF8String, "x@example.com");
                    }
                }

                break;
            default:
                throw new ArgumentException(spec);
        }
    }
}
