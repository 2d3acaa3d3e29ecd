using System.Security.Cryptography;

namespace CertPolicy.Cli;

/// <summary>File loading for the CLI: every failure becomes one line <c>file[:line:col]: what is wrong</c>.</summary>
internal static class CliFiles
{
    /// <summary>Largest input file read (policy tables of 100 000 entries are a few MB).</summary>
    internal const long MaxFileBytes = 64L * 1024 * 1024;

    internal static bool TryReadBytes(string path, out byte[] bytes, out string error)
    {
        bytes = [];
        error = string.Empty;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                error = Directory.Exists(path) ? $"{path}: is a directory" : $"{path}: no such file";
                return false;
            }

            if (info.Length > MaxFileBytes)
            {
                error = $"{path}: file is larger than {MaxFileBytes / (1024 * 1024)} MiB";
                return false;
            }

            bytes = File.ReadAllBytes(path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{path}: cannot read: {ex.Message}";
            return false;
        }
    }

    /// <summary>Reads a text file as strict UTF-8 (a BOM is allowed); invalid bytes are reported with their position.</summary>
    internal static bool TryReadText(string path, out string text, out string error)
    {
        text = string.Empty;
        if (!TryReadBytes(path, out var bytes, out error))
        {
            return false;
        }

        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            span = span[3..];
        }

        if (!System.Text.Unicode.Utf8.IsValid(span))
        {
            int bad = FirstInvalidUtf8(span);
            int line = 1, col = 1;
            for (int i = 0; i < bad; i++)
            {
                if (span[i] == '\n')
                {
                    line++;
                    col = 1;
                }
                else if ((span[i] & 0xC0) != 0x80)
                {
                    col++;
                }
            }

            error = $"{path}:{line}:{col}: not valid UTF-8 text (byte 0x{span[bad]:X2}); is this a binary file?";
            return false;
        }

        text = Encoding.UTF8.GetString(span);
        return true;
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(s[i..], out _, out int consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return s.Length;
    }

    /// <summary>
    /// Reads the first certificate of a PEM file (<c>CERTIFICATE</c> label) or a DER file. Other
    /// PEM labels, damaged base64 or an empty file are errors.
    /// </summary>
    internal static bool TryReadCertificate(string path, out byte[] der, out string error)
    {
        der = [];
        if (!TryReadBytes(path, out var bytes, out error))
        {
            return false;
        }

        if (bytes.Length == 0)
        {
            error = $"{path}: empty file";
            return false;
        }

        if (bytes[0] == 0x30)
        {
            der = bytes;
            return true;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            error = $"{path}: neither DER (first byte 0x{bytes[0]:X2}) nor PEM text";
            return false;
        }

        var rest = text.AsSpan();
        int offset = 0;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (label.SequenceEqual("CERTIFICATE"))
            {
                var data = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(rest[fields.Base64Data], data, out int written))
                {
                    error = $"{path}:{LineOf(text, offset + fields.Location.Start.Value)}:1: damaged base64 in CERTIFICATE block";
                    return false;
                }

                der = data[..written];
                return true;
            }

            int advance = fields.Location.End.Value;
            offset += advance;
            rest = rest[advance..];
        }

        error = text.Contains("-----BEGIN", StringComparison.Ordinal)
            ? $"{path}: no valid PEM CERTIFICATE block (damaged PEM, or another kind of object)"
            : $"{path}: no certificate: not DER and no PEM CERTIFICATE block";
        return false;
    }

    private static int LineOf(string text, int index)
    {
        int line = 1;
        for (int i = 0; i < index && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
            }
        }

        return line;
    }
}
