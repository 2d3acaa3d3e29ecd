using CertPolicy.Tests.Support;
using CertPolicy.Trust;
using static CertPolicy.Tests.Trust.TrustTestSupport;

namespace CertPolicy.Tests.Trust;

/// <summary>TrustStore look-ups, EV binding (R-C1), DV rejection (R-C5) and distrust-after checks (R-C3).</summary>
public class TrustStoreTests
{
    private static readonly TrustManifest Embedded = TrustManifestLoader.LoadEmbedded(FactsDate);
    private static readonly TrustStore Store = new(Embedded);

    [Fact]
    public void Anchors_are_found_by_subject_key_identifier_and_fingerprint()
    {
        var g2 = Embedded.FindRoot("CB3CCBB76031E5E0138F8DD39A23F9DE47FFC35E43C1144CEA27D46A5AB1CB5F")!;
        var cert = g2.Certificate!;
        Assert.Same(g2, Assert.Single(Store.FindBySubject(cert.SubjectDer.Span)));
        Assert.Same(g2, Assert.Single(Store.FindByKeyIdentifier(cert.SubjectKeyIdentifier.Span)));
        Assert.Same(g2, Store.FindBySha256(cert.Sha256.Span));

        // Excluded roots are not anchors.
        var r4 = Embedded.FindRoot("B085D70B964F191A73E4AF0D54AE7A0E07AAFDAF9B71DD0862138AB7325A24A2")!;
        Assert.NotNull(r4.Certificate);
        Assert.Empty(Store.FindBySubject(r4.Certificate!.SubjectDer.Span));
        Assert.Null(Store.FindBySha256(r4.Certificate.Sha256.Span));
        Assert.Equal(13, Store.Anchors.Count);
    }

    [Fact]
    public void Lookups_by_subject_key_identifier_and_fingerprint_allocate_nothing()
    {
        var cert = Embedded.FindRoot("CB3CCBB76031E5E0138F8DD39A23F9DE47FFC35E43C1144CEA27D46A5AB1CB5F")!.Certificate!;
        // Copies in fresh arrays, as a presented chain would hand them over.
        byte[] subject = cert.SubjectDer.ToArray();
        byte[] keyId = cert.SubjectKeyIdentifier.ToArray();
        byte[] sha = cert.Sha256.ToArray();
        byte[] unknown = new byte[32];
        int found = 0;
        for (int i = 0; i < 3; i++)
        {
            found += Store.FindBySubject(subject).Count + Store.FindByKeyIdentifier(keyId).Count + (Store.FindBySha256(sha) is null ? 0 : 1) + Store.FindBySubject(unknown).Count;
        }

        int rounds = 0;
        long allocated = Allocations.Fewest(3, () =>
        {
            rounds++;
            for (int i = 0; i < 100; i++)
            {
                found += Store.FindBySubject(subject).Count + Store.FindByKeyIdentifier(keyId).Count + (Store.FindBySha256(sha) is null ? 0 : 1) + Store.FindBySubject(unknown).Count;
            }
        });
        Assert.Equal(9 + (300 * rounds), found);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void EV_is_concluded_only_for_an_OID_bound_to_the_root()
    {
        var g2 = Embedded.FindRoot("CB3CCBB76031E5E0138F8DD39A23F9DE47FFC35E43C1144CEA27D46A5AB1CB5F")!;
        var class3 = Embedded.FindRoot("FD73DAD31C644FF1B43BEF0CCDDA96710B9CD9875ECA7E31707AF3E96D522BBD")!;
        Assert.Equal(AssuranceLevel.Ev, Store.Classify(g2, ["2.16.840.1.114412.2.1"]));
        Assert.Equal(AssuranceLevel.Ev, Store.Classify(class3, ["1.3.6.1.4.1.7879.13.24.1"]));
        // DigiCert's EV OID under the T-TeleSec root proves nothing; OV still counts.
        Assert.Equal(AssuranceLevel.None, Store.Classify(class3, ["2.16.840.1.114412.2.1"]));
        Assert.Equal(AssuranceLevel.Ov, Store.Classify(class3, ["2.16.840.1.114412.2.1", "2.23.140.1.2.2"]));
        // A DV assertion wins (R-C5).
        Assert.Equal(AssuranceLevel.Dv, Store.Classify(g2, ["2.23.140.1.1", "2.23.140.1.2.1"]));
        Assert.True(Store.IsEvBound(g2, "2.23.140.1.1"));
        Assert.False(Store.IsEvBound(g2, "2.23.140.1.2.2"));
    }

    [Fact]
    public void Distrust_after_is_checked_per_purpose()
    {
        var root = MakeRoot("Store Test Root");
        var other = MakeRoot("Store Other Root");
        var text = ManifestText([new(root, "Store Root", Purposes: "tls-server, email", DistrustEmail: "2025-01-01T00:00:00Z"), new(other, "Other", Status: "removed", Bundle: "exclude")]);
        var m = LoadInMemory(text, new Dictionary<string, byte[]>
        {
            ["roots/Store_Root.pem"] = System.Text.Encoding.ASCII.GetBytes(root.Pem),
            ["roots/Other.pem"] = System.Text.Encoding.ASCII.GetBytes(other.Pem),
        });
        Assert.Empty(m.Diagnostics);
        var store = new TrustStore(m);
        var r = m.FindRoot(root.Sha256)!;
        var before = new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var after = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(DistrustVerdict.Trusted, store.CheckDistrust(r, RootPurposes.Email, before));
        Assert.Equal(DistrustVerdict.IssuedAfterDistrust, store.CheckDistrust(r, RootPurposes.Email, after));
        Assert.Equal(DistrustVerdict.Trusted, store.CheckDistrust(r, RootPurposes.TlsServer, after));
        Assert.Equal(DistrustVerdict.NotIncluded, store.CheckDistrust(m.FindRoot(other.Sha256)!, RootPurposes.TlsServer, before));
    }
}
