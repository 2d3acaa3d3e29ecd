using System.Text.Json;
using CertPolicy.Tests.Trust;

namespace CertPolicy.Tests.Support;

/// <summary>
/// Go's crypto/x509 as a second independent verifier: builds <c>tools/go-x509-oracle</c> (standard library only)
/// with the system Go (Debian 12: <c>golang-go</c>, Go 1.19) into a temporary folder, offline (<c>GOPROXY=off</c>,
/// <c>GOCACHE</c>/<c>GOPATH</c> in the folder), and runs it once over a manifest of chains.
/// </summary>
internal sealed class GoOracle : IDisposable
{
    private readonly TempDir _dir;

    private GoOracle(TempDir dir, string binary, string version)
    {
        _dir = dir;
        Binary = binary;
        Version = version;
    }

    /// <summary>The built oracle.</summary>
    internal string Binary { get; }

    /// <summary><c>go version</c> of the toolchain that built it (e.g. "go version go1.19.8 linux/amd64").</summary>
    internal string Version { get; }

    /// <summary>One chain for the manifest: PEM file names relative to the manifest's folder.</summary>
    internal sealed record Entry(string Id, string Leaf, IReadOnlyList<string> Intermediates, IReadOnlyList<string> Roots, DateTimeOffset Time, string Dns, IReadOnlyList<string> Eku);

    /// <summary>Go's answer: <paramref name="Ok"/>, or the error text of <c>Certificate.Verify</c>.</summary>
    internal sealed record Answer(bool Ok, string Error);

    internal static GoOracle Build()
    {
        var go = Tool.Require("go", "golang-go");
        var source = Path.Combine(TrustTestSupport.RepoRoot, "tools", "go-x509-oracle");
        Assert.True(File.Exists(Path.Combine(source, "main.go")), "tools/go-x509-oracle/main.go not found under " + source);
        var dir = new TempDir();
        var binary = Path.Combine(dir.Path, "go-x509-oracle");
        var env = new Dictionary<string, string>
        {
            ["GOCACHE"] = Path.Combine(dir.Path, "gocache"),
            ["GOPATH"] = Path.Combine(dir.Path, "gopath"),
            ["GOPROXY"] = "off",
            ["GOFLAGS"] = string.Empty,
            ["GO111MODULE"] = "on",
            ["CGO_ENABLED"] = "0",
            ["HOME"] = dir.Path,
        };
        var (vexit, version, verr) = Tool.Run(go, ["version"], env: env, package: "golang-go");
        Assert.True(vexit == 0, "go version failed: " + version + verr);
        var (exit, stdout, stderr) = Tool.Run(go, ["build", "-o", binary, "."], env: env, timeoutMs: 300_000, package: "golang-go", workingDirectory: source);
        Assert.True(exit == 0, "building tools/go-x509-oracle failed:\n" + stdout + stderr);
        return new GoOracle(dir, binary, version.Trim());
    }

    /// <summary>Writes the manifest into <paramref name="folder"/> and runs the oracle once over every entry.</summary>
    internal Dictionary<string, Answer> Run(string folder, IReadOnlyList<Entry> entries)
    {
        var manifest = Path.Combine(folder, "go-manifest.json");
        using (var stream = File.Create(manifest))
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("cases");
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("id", e.Id);
                w.WriteString("leaf", e.Leaf);
                Strings(w, "intermediates", e.Intermediates);
                Strings(w, "roots", e.Roots);
                w.WriteString("time", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("dns", e.Dns);
                Strings(w, "eku", e.Eku);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        var (exit, stdout, stderr) = Tool.Run(Binary, [manifest], timeoutMs: 300_000);
        Assert.True(exit == 0, "go-x509-oracle failed (exit " + exit + "): " + stderr);
        var answers = new Dictionary<string, Answer>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t');
            Assert.True(parts.Length >= 2 && parts[1] is "ok" or "fail", "go-x509-oracle: unexpected line '" + line + "'");
            answers[parts[0]] = new Answer(parts[1] == "ok", parts.Length > 2 ? parts[2] : string.Empty);
        }

        Assert.Equal(entries.Count, answers.Count);
        return answers;
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    public void Dispose() => _dir.Dispose();
}
