using System.Text.Json;

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
}
