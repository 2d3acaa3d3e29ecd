using System.Text.Json;
using CertPolicy.Validation;

namespace CertPolicy.Cli.Commands;

/// <summary>Writes indented JSON through <see cref="Utf8JsonWriter"/> (no reflection: AOT-safe).</summary>
internal static class Json
{
    internal static void Write(TextWriter output, Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            body(writer);
        }

        output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>Writes a validated path as the <c>chain</c> array (depth, subject, sha256, anchor).</summary>
    internal static void WriteChain(Utf8JsonWriter w, IEnumerable<ChainElement> chain)
    {
        w.WriteStartArray("chain");
        foreach (var e in chain)
        {
            w.WriteStartObject();
            w.WriteNumber("depth", e.Depth);
            w.WriteString("subject", e.Subject);
            w.WriteString("sha256", e.Sha256);
            w.WriteBoolean("anchor", e.IsAnchor);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
