using System.Security.Cryptography.X509Certificates;
using CertPolicy.IO;
using CertPolicy.X509;

namespace CertPolicy.Cli;

/// <summary>File loading for the CLI: every failure becomes one line <c>file[:line:col]: what is wrong</c>.</summary>
internal static class CliFiles
{
    /// <summary>Largest input file read (policy tables of 100 000 entries are a few MB).</summary>
    internal const long MaxFileBytes = 64L * 1024 * 1024;

    // The one bounded reader (src/CertPolicy/IO/BoundedFile.cs, issue 14): devices, directories, FIFOs and sockets are
    // refused by file type before any open (a FIFO without a writer would block the open forever); a regular file is
    // read up to MaxFileBytes, counting what was read and never trusting the reported length (/proc files report 0).
    // "-" is standard input (a pipe is fine there), under the same cap.
    internal static bool TryReadBytes(string path, out byte[] bytes, out string error)
    {
        bool ok;
        if (path == "-")
        {
            using var stdin = Console.OpenStandardInput();
            ok = BoundedFile.TryReadStream(stdin, MaxFileBytes, out bytes, out error);
        }
        else
        {
            ok = BoundedFile.TryRead(path, MaxFileBytes, out bytes, out error);
        }

        error = ok ? string.Empty : path + ": " + error;
        return ok;
    }

    /// <summary>Opens a file argument ("-" is standard input) for a reader that streams it, after the same file-type
    /// check as <see cref="TryReadBytes"/> (no open that could block); the reader enforces <see cref="MaxFileBytes"/> on
    /// what it reads.</summary>
    internal static bool TryOpen(string path, out Stream stream, out string error)
    {
        stream = Stream.Null;
        error = string.Empty;
        try
        {
            if (path == "-")
            {
                stream = Console.OpenStandardInput();
                return true;
            }

            var reason = BoundedFile.CheckReadable(path);
            if (reason is not null)
            {
                error = path + ": " + reason;
                return false;
            }

            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{path}: cannot read: {ex.Message}";
            return false;
        }
    }

    /// <summary>Reads a text file as strict UTF-8 (a BOM is allowed, and dropped unless <paramref name="keepBom"/>: Postfix
    /// tables keep it as part of the first key); invalid bytes are reported with their position.</summary>
    internal static bool TryReadText(string path, out string text, out string error, bool keepBom = false)
    {
        text = string.Empty;
        if (!TryReadBytes(path, out var bytes, out error))
        {
            return false;
        }

        ReadOnlySpan<byte> span = bytes;
        if (!keepBom && span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
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

    /// <summary>Most certificates read from one file (a roots bundle such as ca-certificates.crt holds about 150).</summary>
    internal const int MaxCertificatesPerFile = 4096;

    /// <summary>
    /// Reads the certificates of a PEM file (its CERTIFICATE blocks in order, the first being the leaf; other text and
    /// blocks ignored exactly as OpenSSL reads a file) or of a DER file, with the library's one PEM splitter.
    /// Errors are one line <c>file[:line:col]: what is wrong</c>.
    /// </summary>
    internal static bool TryReadCertificates(string path, int maxCertificates, out List<byte[]> certificates, out string error)
    {
        certificates = [];
        if (!TryReadBytes(path, out var bytes, out error))
        {
            return false;
        }

        if (!CertificateChainReader.TryRead(bytes, maxCertificates, out certificates, out PemReadError? pemError))
        {
            error = pemError!.Format(path);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads a PEM or DER file of roots (<see cref="TryReadCertificates"/>) as platform certificates, for the .NET APIs
    /// that need them (the MTA-STS fetch's extra roots of <c>scan</c> and <c>serve</c>). The caller disposes them.
    /// </summary>
    internal static bool TryReadPlatformRoots(string path, out X509Certificate2Collection? roots, out string error)
    {
        roots = null;
        if (!TryReadCertificates(path, MaxCertificatesPerFile, out var der, out error))
        {
            return false;
        }

        if (!PlatformCertificates.TryLoad(der, out roots, out string? loadError))
        {
            error = path + ": " + loadError;
            return false;
        }

        return true;
    }

    /// <summary>Reads the first certificate (the leaf) of a PEM or DER file; see <see cref="TryReadCertificates"/>.</summary>
    internal static bool TryReadCertificate(string path, out byte[] der, out string error)
    {
        der = [];
        if (!TryReadCertificates(path, MaxCertificatesPerFile, out var certificates, out error))
        {
            return false;
        }

        der = certificates[0];
        return true;
    }
}
