using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CertPolicy.Trust;

namespace CertPolicy.Tests.Trust;

/// <summary>Paths, real OpenSSL, generated test CAs and test manifests for the Trust tests.</summary>
internal static class TrustTestSupport
{
    /// <summary>The date ca-facts.json was checked; the embedded manifest is judged at this instant.</summary>
    internal static readonly DateTimeOffset FactsDate = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

    internal static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CertPolicy.sln")))
            {
                dir = dir.Parent;
            }

            Assert.True(dir is not null, "CertPolicy.sln not found above " + AppContext.BaseDirectory);
            return dir!.FullName;
        }
    }

    internal static string CaFactsPath
    {
        get
        {
            var p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "docs", "ca-facts.json"));
            Assert.True(File.Exists(p), "ca-facts.json not found at " + p + " (shared/ must sit beside the repository)");
            return p;
        }
    }

    internal static string OpenSsl()
    {
        foreach (var d in new[] { "/usr/bin", "/usr/local/bin" })
        {
            var p = Path.Combine(d, "openssl");
            if (File.Exists(p))
            {
                return p;
            }
        }

        Assert.Fail("'openssl' is not installed; run ./test.sh as root, or: apt-get install -y openssl");
        return "";
    }

    internal static (int Code, string Out, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(true);
            Assert.Fail(file + " " + string.Join(' ', args) + " did not finish in 30 s");
        }

        return (p.ExitCode, o.Result, e.Result);
    }

    internal static (int Code, string Out, string Err) RunCli(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CertPolicy.Cli.CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    internal static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "certpolicy-trust-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    internal static string Sha256Hex(byte[] der) => Convert.ToHexString(SHA256.HashData(der));

    /// <summary>Fixed validity for every generated certificate: no test depends on the clock.</summary>
    internal static readonly DateTimeOffset NotBefore = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
    internal static readonly DateTimeOffset NotAfter = new(2040, 1, 1, 0, 0, 0, TimeSpan.Zero);

    internal sealed class TestCa(X509Certificate2 cert, AsymmetricAlgorithm key)
    {
        public X509Certificate2 Cert { get; } = cert;

        public AsymmetricAlgorithm Key { get; } = key;

        public byte[] Der => Cert.RawData;

        public string Pem => Cert.ExportCertificatePem() + "\n";

        public string Sha256 => Sha256Hex(Der);
    }

    internal static TestCa MakeRoot(X500DistinguishedName name, bool rsa1024 = false)
    {
        CertificateRequest req;
        AsymmetricAlgorithm key;
        if (rsa1024)
        {
            var r = RSA.Create(1024);
            key = r;
            req = new CertificateRequest(name, r, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        else
        {
            var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            key = ec;
            req = new CertificateRequest(name, ec, HashAlgorithmName.SHA256);
        }

        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        return new TestCa(req.CreateSelfSigned(NotBefore, NotAfter), key);
    }

    internal static TestCa MakeRoot(string cn) => MakeRoot(Name(cn));

    internal static X500DistinguishedName Name(string cn, string? o = "CertPolicy Tests")
    {
        var b = new X500DistinguishedNameBuilder();
        b.AddCountryOrRegion("DE");
        if (o is not null)
        {
            b.AddOrganizationName(o);
        }

        b.AddCommonName(cn);
        return b.Build();
    }

    internal static string MakeLeafPem(TestCa issuer, string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(Name(host), key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = SHA256.HashData(Encoding.UTF8.GetBytes(host))[..16];
        serial[0] &= 0x7f;
        X509Certificate2 leaf = issuer.Key is ECDsa ec
            ? req.Create(issuer.Cert.SubjectName, X509SignatureGenerator.CreateForECDsa(ec), NotBefore.AddDays(1), NotAfter.AddDays(-1), serial)
            : req.Create(issuer.Cert.SubjectName, X509SignatureGenerator.CreateForRSA((RSA)issuer.Key, RSASignaturePadding.Pkcs1), NotBefore.AddDays(1), NotAfter.AddDays(-1), serial);
        return leaf.ExportCertificatePem() + "\n";
    }

    /// <summary>One root entry of a generated test manifest.</summary>
    internal sealed record RootSpec(TestCa Ca, string Label, string Status = "active", string Bundle = "include", string Purposes = "tls-server", string? File = null, string? Sha256Override = null, string DistrustEmail = "none", string EvOids = "none");

    /// <summary>Manifest text: [manifest], one EV [oid], the 8 annex [ca] sections and the given roots (in the given order).</summary>
    internal static string ManifestText(IReadOnlyList<RootSpec> roots, string asOf = "2026-11-28")
    {
        var sb = new StringBuilder();
        sb.Append("# generated by TrustTestSupport\n[manifest]\nschema = certpolicy-trust/1\nas-of = ").Append(asOf).Append("\nrsa-floor = 2048\nec-floor = 256\n\n");
        sb.Append("[oid 2.23.140.1.1]\nmeaning = ev\nowner = \"CA/Browser Forum\"\ndescription = \"EV TLS\"\nsource = \"cabf-br\"\nverified = primary\n\n");
        sb.Append("[oid 2.23.140.1.2.1]\nmeaning = dv\nowner = \"CA/Browser Forum\"\ndescription = \"DV TLS\"\nsource = \"cabf-br\"\n\n");
        foreach (var ca in TrustManifestLoader.AnnexCaNames)
        {
            sb.Append("[ca \"").Append(ca).Append("\"]\nstatus = defunct\nfate = \"test\"\nreason = \"test manifest\"\n\n");
        }

        foreach (var r in roots)
        {
            Assert.True(RootCertificate.TryParse(r.Ca.Der, out var c, out _));
            sb.Append("[root ").Append(r.Sha256Override ?? r.Ca.Sha256).Append("]\n");
            sb.Append("label = \"").Append(r.Label).Append("\"\n");
            sb.Append("file = ").Append(r.File ?? "roots/" + r.Label.Replace(' ', '_') + ".pem").Append('\n');
            sb.Append("subject = \"").Append(c!.Subject.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append("\"\n");
            sb.Append("not-before = 2020-01-01T00:00:00Z\nnot-after = 2040-01-01T00:00:00Z\n");
            sb.Append("key = ").Append(c.KeyDescription).Append('\n');
            sb.Append("purposes = ").Append(r.Purposes).Append('\n');
            sb.Append("ev-oids = ").Append(r.EvOids).Append('\n');
            sb.Append("assurance = ev, ov, iv\n");
            sb.Append("distrust-after-tls = none\ndistrust-after-email = ").Append(r.DistrustEmail).Append('\n');
            sb.Append("status = ").Append(r.Status).Append('\n');
            sb.Append("bundle = ").Append(r.Bundle).Append('\n');
            sb.Append("seed-ca = \"GlobalSign\"\nrole = successor\nsource = \"test\"\nreason = \"test root\"\n\n");
        }

        return sb.ToString();
    }

    /// <summary>Writes a manifest and its root files into a fresh folder; returns the manifest path.</summary>
    internal static string WriteManifest(IReadOnlyList<RootSpec> roots, Func<string, string>? mutate = null, bool writeFiles = true)
    {
        var dir = TempDir();
        Directory.CreateDirectory(Path.Combine(dir, "roots"));
        if (writeFiles)
        {
            foreach (var r in roots)
            {
                var rel = r.File ?? "roots/" + r.Label.Replace(' ', '_') + ".pem";
                System.IO.File.WriteAllText(Path.Combine(dir, rel), r.Ca.Pem);
            }
        }

        var text = ManifestText(roots);
        var path = Path.Combine(dir, "manifest.cfg");
        System.IO.File.WriteAllText(path, mutate is null ? text : mutate(text));
        return path;
    }

    /// <summary>Loads manifest text with root files served from memory (no disk).</summary>
    internal static TrustManifest LoadInMemory(string text, IReadOnlyDictionary<string, byte[]> files) =>
        TrustManifestLoader.Load(text, "test.cfg", (string rel, out byte[]? contents, out string? error) =>
        {
            error = files.TryGetValue(rel, out contents) ? null : "file not found";
            return contents is not null;
        }, FactsDate);

    /// <summary>1-based line and column of <paramref name="needle"/> in <paramref name="text"/>.</summary>
    internal static (int Line, int Col) PositionOf(string text, string needle)
    {
        int i = text.IndexOf(needle, StringComparison.Ordinal);
        Assert.True(i >= 0, "'" + needle + "' not in text");
        int line = 1;
        int lineStart = 0;
        for (int k = 0; k < i; k++)
        {
            if (text[k] == '\n')
            {
                line++;
                lineStart = k + 1;
            }
        }

        return (line, i - lineStart + 1);
    }
}
