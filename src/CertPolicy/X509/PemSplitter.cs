using System.Buffers;
using System.Buffers.Text;
using System.Globalization;

namespace CertPolicy.X509;

/// <summary>Why a PEM (or DER) certificate input is unusable. Values are API: never renumber.</summary>
internal enum PemReadErrorKind : byte
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The input is empty (or only a byte-order mark / white space).</summary>
    Empty = 1,

    /// <summary>Neither a PEM certificate block nor a DER certificate.</summary>
    NoCertificate = 2,

    /// <summary>A block is damaged: missing or mismatched END line, a BEGIN line inside a block.</summary>
    Malformed = 3,

    /// <summary>A block's body is not valid base64.</summary>
    Base64 = 4,

    /// <summary>A certificate block carries RFC 1421 headers (<c>Proc-Type:</c> ...), which OpenSSL refuses for certificates.</summary>
    Headers = 5,

    /// <summary>A <c>TRUSTED CERTIFICATE</c> block (OpenSSL trust settings), refused rather than read without its settings.</summary>
    TrustedCertificate = 6,

    /// <summary>An OpenPGP armor block (<c>-----BEGIN PGP ...</c>), not X.509.</summary>
    OpenPgp = 7,

    /// <summary>More certificate blocks than the limit.</summary>
    TooMany = 8,
}

/// <summary>Why a certificate file could not be read: what is wrong, and where (1-based line and column; 0 when the error has no position).</summary>
/// <param name="Kind">The class of damage.</param>
/// <param name="Message">English, for a mail administrator.</param>
/// <param name="Line">1-based line, 0 for none.</param>
/// <param name="Column">1-based column (characters), 0 for none.</param>
internal sealed record PemReadError(PemReadErrorKind Kind, string Message, int Line, int Column)
{
    /// <summary><c>line L, column C: message</c>, or the message alone when there is no position.</summary>
    /// <returns>The text.</returns>
    public override string ToString() =>
        Line > 0 ? "line " + Line.ToString(CultureInfo.InvariantCulture) + ", column " + Column.ToString(CultureInfo.InvariantCulture) + ": " + Message : Message;

    /// <summary>The CLI's one-line form: <c>file:line:col: message</c>, or <c>file: message</c> without a position.</summary>
    /// <param name="file">The file name to show.</param>
    /// <returns>The line.</returns>
    public string Format(string file) =>
        Line > 0 ? file + ":" + Line.ToString(CultureInfo.InvariantCulture) + ":" + Column.ToString(CultureInfo.InvariantCulture) + ": " + Message : file + ": " + Message;
}

/// <summary>One PEM block: its label, its decoded body, and the 1-based line of its BEGIN line.</summary>
/// <param name="Label">The text between <c>-----BEGIN </c> and <c>-----</c>.</param>
/// <param name="Data">The decoded body (never empty: a block without a body is an error).</param>
/// <param name="Line">Line of the BEGIN line.</param>
internal readonly record struct PemBlock(string Label, byte[] Data, int Line)
{
    /// <summary>True for a label OpenSSL's <c>PEM_read_bio_X509</c> reads as a certificate.</summary>
    public bool IsCertificate => PemSplitter.IsCertificateLabel(Label);
}

/// <summary>
/// The one PEM splitter of CertPolicy: every library entry and CLI command that reads certificates from text goes
/// through it (chains, <c>--roots</c>, the trust manifest's roots, containers, S/MIME, names). One forward scan, line by
/// line: each byte is examined a bounded number of times, so the work is linear in the input (no rescan per BEGIN, unlike
/// <c>PemEncoding.TryFind</c>, which made a file of BEGIN lines without END quadratic).
/// <para>
/// <b>The rule, taken from OpenSSL 3.0's <c>PEM_read_bio_X509</c> (crypto/pem/pem_lib.c, <c>PEM_bytes_read_bio</c>,
/// <c>get_name</c>, <c>get_header_and_data</c>, <c>sanitize_line</c>), as observed with OpenSSL 3.0.19 on this machine</b>
/// (a C program calling <c>PEM_read_bio_X509</c> and <c>openssl x509 -noout -subject</c> on files with two different
/// certificates a, b; the test <c>PemPreambleTests</c> repeats the comparison with the real <c>openssl x509</c>):
/// <list type="bullet">
/// <item>Blocks are found line by line. A BEGIN line starts at column 1 with <c>-----BEGIN </c> and ends with <c>-----</c>
/// after trailing white space and control characters (bytes up to 0x20, so also CR) are removed; the label is the text
/// between. Anything else outside a block is ignored, whatever it is: "hello" before a (→ a), "junk-----BEGIN ..." or
/// "  -----BEGIN ..." (not at column 1: → b), a lower-case "-----begin" (→ b), "-----BEGIN CERTIFICATE----- x" (→ b).</item>
/// <item>A UTF-8 byte-order mark is removed from the first line each block search reads: the start of the file, and the
/// line right after a block's END line (OpenSSL strips it in <c>sanitize_line</c> on the first line of each
/// <c>PEM_read_bio</c> call). BOM + a + b → a; PRIVATE KEY, BOM + a, b → a; "hello", BOM + a, b → b (the BOM line is
/// then plain text); BOM BOM + a → b.</item>
/// <item>Certificate labels: <c>CERTIFICATE</c> and <c>X509 CERTIFICATE</c> (<c>PEM_STRING_X509_OLD</c>, accepted by
/// <c>check_pem</c>): a file whose first block is "X509 CERTIFICATE" a → a. <c>TRUSTED CERTIFICATE</c> is skipped by
/// <c>PEM_read_bio_X509</c> (→ b) but read, with its trust settings, by <c>PEM_read_bio_X509_AUX</c> and by
/// <c>openssl x509</c> (→ a): the tools disagree, so it is refused here (<see cref="PemReadErrorKind.TrustedCertificate"/>).</item>
/// <item>Other blocks (PRIVATE KEY, PKCS7, CERTIFICATE REQUEST, ...) are skipped but must be well formed, as OpenSSL reads
/// each block in full before looking at its label: PRIVATE KEY + a + b → a; a PRIVATE KEY block with a bad END line or
/// bad base64 before a → error ("bad end line", "bad base64 decode").</item>
/// <item>Inside a block: the END line must be exactly <c>-----END </c> + the same label + <c>-----</c> (trailing white
/// space allowed; "END X509 CERTIFICATE" after "BEGIN CERTIFICATE" → "bad end line"); a BEGIN line inside a block is an
/// error (OpenSSL: "ASN1 lib"); a block without END is an error; header lines (<c>Name: value</c>) are allowed only
/// before the body of a non-certificate block (a certificate block with "Proc-Type: 4,CLEAR" → error); spaces, tabs and
/// blank lines inside the body are ignored (an indented or split base64 line → a).</item>
/// <item>The certificates of a file are its certificate blocks in order (what <c>openssl verify -untrusted</c> and
/// <c>-CAfile</c> load); the first is the leaf.</item>
/// </list>
/// Deviation: OpenSSL's <c>openssl x509</c> (OSSL_STORE) falls back to the next block when a certificate block is damaged
/// (bad base64 a, b → b); <c>PEM_read_bio_X509</c> fails, and so does this reader: a damaged certificate is never skipped.
/// OpenPGP armor is refused with its own error (<see cref="PemReadErrorKind.OpenPgp"/>) so that the mistake is named.
/// </para>
/// </summary>
internal static class PemSplitter
{
    private static ReadOnlySpan<byte> Bom => [0xEF, 0xBB, 0xBF];

    private static ReadOnlySpan<byte> BeginPrefix => "-----BEGIN "u8;

    private static ReadOnlySpan<byte> EndPrefix => "-----END "u8;

    private static ReadOnlySpan<byte> Dashes => "-----"u8;

    /// <summary>True for the labels <c>PEM_read_bio_X509</c> reads as a certificate: CERTIFICATE and X509 CERTIFICATE.</summary>
    /// <param name="label">A block label.</param>
    /// <returns>Whether the block is a certificate.</returns>
    internal static bool IsCertificateLabel(string label) => label is "CERTIFICATE" or "X509 CERTIFICATE";

    /// <summary>True when <paramref name="data"/> holds a PEM BEGIN line anywhere (a quick test for "is this PEM text").</summary>
    /// <param name="data">The input.</param>
    /// <returns>Whether a <c>-----BEGIN </c> occurs.</returns>
    internal static bool ContainsBegin(ReadOnlySpan<byte> data) => data.IndexOf(BeginPrefix) >= 0;

    /// <summary>Splits PEM text into its blocks (every label, in file order).</summary>
    /// <param name="data">The input bytes (text before, between and after blocks is ignored).</param>
    /// <param name="maxCertificates">Most certificate blocks accepted.</param>
    /// <param name="blocks">Receives the blocks.</param>
    /// <param name="error">Why the input is unusable, or null.</param>
    /// <returns>True when every block was well formed.</returns>
    internal static bool TrySplit(ReadOnlySpan<byte> data, int maxCertificates, List<PemBlock> blocks, out PemReadError? error)
    {
        long examined = 0;
        return TrySplit(data, maxCertificates, blocks, out error, ref examined);
    }

    /// <summary>
    /// <see cref="TrySplit(ReadOnlySpan{byte}, int, List{PemBlock}, out PemReadError?)"/>, adding to <paramref name="examined"/> the
    /// number of bytes it looked at (each comparison, search and decode step counts its bytes): the tests bound it by a
    /// constant times the input size.
    /// </summary>
    internal static bool TrySplit(ReadOnlySpan<byte> data, int maxCertificates, List<PemBlock> blocks, out PemReadError? error, ref long examined)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        error = null;
        int certificates = 0;
        int pos = 0;
        int line = 0;
        bool bomAllowed = true;

        // State of the open block.
        bool inBlock = false;
        string label = string.Empty;
        int beginLine = 0;
        bool sawBody = false;
        bool sawHeader = false;
        byte[]? body = null;
        int bodyLength = 0;
        try
        {
            while (pos < data.Length)
            {
                line++;
                int nl = data[pos..].IndexOf((byte)'\n');
                int next = nl < 0 ? data.Length : pos + nl + 1;
                examined += next - pos;
                var text = data[pos..(nl < 0 ? data.Length : pos + nl)];
                pos = next;

                // sanitize_line: trailing bytes <= 0x20 (CR, spaces, tabs, control characters) are not part of the line.
                int len = text.Length;
                while (len > 0 && text[len - 1] <= 0x20)
                {
                    len--;
                }

                text = text[..len];
                int bomColumns = 0;
                if (bomAllowed && text.StartsWith(Bom))
                {
                    text = text[3..];
                    bomColumns = 1;
                }

                bomAllowed = false;
                if (!inBlock)
                {
                    if (!text.StartsWith(BeginPrefix) || !text.EndsWith(Dashes) || text.Length < BeginPrefix.Length + Dashes.Length)
                    {
                        continue; // text outside blocks is ignored, as OpenSSL does
                    }

                    examined += text.Length;
                    label = System.Text.Encoding.Latin1.GetString(text[BeginPrefix.Length..^Dashes.Length]);
                    beginLine = line;
                    if (label == "TRUSTED CERTIFICATE")
                    {
                        error = new PemReadError(PemReadErrorKind.TrustedCertificate, "a TRUSTED CERTIFICATE block (OpenSSL trust settings) is not read: OpenSSL tools disagree on it (PEM_read_bio_X509 skips it, openssl x509 reads it); convert it with 'openssl x509 -in FILE -out CERT.pem'", line, 1 + bomColumns);
                        return false;
                    }

                    if (label.StartsWith("PGP ", StringComparison.Ordinal))
                    {
                        error = new PemReadError(PemReadErrorKind.OpenPgp, "'-----BEGIN " + label + "-----' is OpenPGP armor, not an X.509 certificate or PKCS#7 container", line, 1 + bomColumns);
                        return false;
                    }

                    inBlock = true;
                    sawBody = false;
                    sawHeader = false;
                    bodyLength = 0;
                    continue;
                }

                if (text.StartsWith(EndPrefix))
                {
                    examined += text.Length;
                    if (!text.EndsWith(Dashes) || text.Length != EndPrefix.Length + label.Length + Dashes.Length || !LabelEquals(text[EndPrefix.Length..^Dashes.Length], label))
                    {
                        error = new PemReadError(PemReadErrorKind.Malformed, "the END line does not match '-----BEGIN " + label + "-----' (line " + beginLine.ToString(CultureInfo.InvariantCulture) + "): expected '-----END " + label + "-----'", line, 1);
                        return false;
                    }

                    // OpenSSL's PEM_read_bio_X509 stops at a block without a body (certificate or not: "BEGIN CERTIFICATE",
                    // "END CERTIFICATE", then a certificate → no certificate read; observed with OpenSSL 3.0.19). An empty
                    // certificate is not a certificate: found by AFL (the chain reader returned a zero-length one).
                    if (bodyLength == 0)
                    {
                        error = new PemReadError(PemReadErrorKind.Malformed, "the '" + label + "' block that starts at line " + beginLine.ToString(CultureInfo.InvariantCulture) + " has no base64 body", line, 1);
                        return false;
                    }

                    bool isCertificate = IsCertificateLabel(label);
                    if (isCertificate && sawHeader)
                    {
                        error = new PemReadError(PemReadErrorKind.Headers, "the CERTIFICATE block has header lines (Name: value), which OpenSSL refuses for certificates", beginLine + 1, 1);
                        return false;
                    }

                    if (isCertificate && ++certificates > maxCertificates)
                    {
                        error = new PemReadError(PemReadErrorKind.TooMany, "more than " + maxCertificates.ToString(CultureInfo.InvariantCulture) + " certificates", beginLine, 1);
                        return false;
                    }

                    byte[] decoded = new byte[Base64.GetMaxDecodedFromUtf8Length(bodyLength)];
                    var status = Base64.DecodeFromUtf8(body.AsSpan(0, bodyLength), decoded, out int consumed, out int written);
                    examined += bodyLength;
                    if (status != OperationStatus.Done || consumed != bodyLength || written == 0)
                    {
                        error = new PemReadError(PemReadErrorKind.Base64, "the " + label + " block's base64 is damaged (wrong length or misplaced '=' padding)", beginLine, 1);
                        return false;
                    }

                    Array.Resize(ref decoded, written);

                    blocks.Add(new PemBlock(label, decoded, beginLine));
                    inBlock = false;
                    bomAllowed = true;
                    continue;
                }

                if (text.StartsWith(BeginPrefix))
                {
                    error = new PemReadError(PemReadErrorKind.Malformed, "a BEGIN line inside the '" + label + "' block that starts at line " + beginLine.ToString(CultureInfo.InvariantCulture) + " (its END line is missing)", line, 1);
                    return false;
                }

                if (!sawBody && text.IndexOf((byte)':') >= 0)
                {
                    examined += text.Length;
                    sawHeader = true; // RFC 1421 header (Proc-Type, DEK-Info): only before the body
                    continue;
                }

                // Body: base64 characters; spaces and tabs are ignored (OpenSSL's EVP decoder skips them).
                examined += text.Length;
                // One buffer for every block: no body can be longer than the input left from here, so it never grows
                // (growing by doubling copied up to twice the body again: 5 bytes of work per input byte, found by AFL).
                body ??= ArrayPool<byte>.Shared.Rent(data.Length - pos + text.Length);

                // Fast path: a line of base64 characters only (the usual 64-character line) is copied in one vectorised step.
                if (text.IndexOfAnyExcept(Base64Characters) < 0)
                {
                    text.CopyTo(body.AsSpan(bodyLength));
                    bodyLength += text.Length;
                    sawBody |= text.Length > 0;
                    continue;
                }

                int column = 1;
                for (int i = 0; i < text.Length; i++)
                {
                    byte b = text[i];
                    if ((b & 0xC0) != 0x80)
                    {
                        column++;
                    }

                    if (b is (byte)' ' or (byte)'\t')
                    {
                        continue;
                    }

                    if (!IsBase64(b))
                    {
                        error = new PemReadError(PemReadErrorKind.Base64, "the " + label + " block's body is not base64 (character '" + Printable(b) + "')", line, column - 1);
                        return false;
                    }

                    body[bodyLength++] = b;
                    sawBody = true;
                }
            }
        }
        finally
        {
            if (body is not null)
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }

        if (inBlock)
        {
            error = new PemReadError(PemReadErrorKind.Malformed, "the '" + label + "' block has no '-----END " + label + "-----' line", beginLine, 1);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Reads the certificates of a file: one DER certificate (the first byte is a SEQUENCE tag), or the certificate blocks
    /// of PEM text in file order (see the class rule: the first is the leaf).
    /// </summary>
    /// <param name="data">The file bytes.</param>
    /// <param name="maxCertificates">Most certificates accepted.</param>
    /// <param name="certificates">The DER blobs in file order (not parsed: see <see cref="CertificateView.TryParse(ReadOnlyMemory{byte}, out CertificateView, out CertificateError)"/>).</param>
    /// <param name="error">Why the input is unusable, or null.</param>
    /// <returns>True when at least one certificate was found and every block was well formed.</returns>
    internal static bool TryReadCertificates(ReadOnlySpan<byte> data, int maxCertificates, out List<byte[]> certificates, out PemReadError? error)
    {
        certificates = [];
        var span = data.StartsWith(Bom) ? data[3..] : data;
        if (span.Trim(" \t\r\n"u8).IsEmpty)
        {
            error = new PemReadError(PemReadErrorKind.Empty, data.IsEmpty ? "empty file" : "the file holds no certificate (only white space)", 0, 0);
            return false;
        }

        if (IsDer(data, ber: false))
        {
            certificates.Add(data.ToArray());
            error = null;
            return true;
        }

        var blocks = new List<PemBlock>();
        if (!TrySplit(data, maxCertificates, blocks, out error))
        {
            return false;
        }

        foreach (var b in blocks)
        {
            if (b.IsCertificate)
            {
                certificates.Add(b.Data);
            }
        }

        if (certificates.Count == 0)
        {
            error = NoCertificate(data, blocks);
            return false;
        }

        return true;
    }

    /// <summary>
    /// True when the input is to be read as DER rather than PEM text: it starts with a SEQUENCE tag (0x30) and either is
    /// one complete DER (or BER) element or holds no PEM BEGIN line (a truncated DER file stays DER, so its error says so).
    /// A text file that merely starts with the character '0' and holds PEM blocks is PEM.
    /// </summary>
    /// <param name="data">The input.</param>
    /// <param name="ber">Accept BER lengths (indefinite length, as PKCS#7 files may use).</param>
    /// <returns>Whether to read it as DER.</returns>
    internal static bool IsDer(ReadOnlySpan<byte> data, bool ber)
    {
        if (data.IsEmpty || data[0] != 0x30 || !ContainsBegin(data))
        {
            return !data.IsEmpty && data[0] == 0x30;
        }

        return Pkcs7CertificateReader.TryReadHeader(data, ber, out _, out _, out _, out int consumed) && consumed == data.Length;
    }

    /// <summary>The error for an input without a certificate block, naming what was there instead.</summary>
    internal static PemReadError NoCertificate(ReadOnlySpan<byte> data, List<PemBlock> blocks)
    {
        if (blocks.Count > 0)
        {
            var labels = new List<string>();
            foreach (var b in blocks)
            {
                if (!labels.Contains(b.Label))
                {
                    labels.Add(b.Label);
                }
            }

            return new PemReadError(PemReadErrorKind.NoCertificate, "no PEM CERTIFICATE block (found " + string.Join(", ", labels) + ")", 0, 0);
        }

        return new PemReadError(PemReadErrorKind.NoCertificate, "no certificate: not DER (first byte 0x" + data[0].ToString("X2", CultureInfo.InvariantCulture) + ") and no PEM CERTIFICATE block", 0, 0);
    }

    /// <summary>Encodes a certificate as PEM: 64-character lines, LF line ends, a trailing newline.</summary>
    /// <param name="der">The certificate DER.</param>
    /// <returns>The PEM text.</returns>
    internal static string WriteCertificate(ReadOnlySpan<byte> der)
    {
        string b64 = Convert.ToBase64String(der);
        var sb = new System.Text.StringBuilder(b64.Length + (b64.Length / 64) + 60);
        sb.Append("-----BEGIN CERTIFICATE-----\n");
        for (int i = 0; i < b64.Length; i += 64)
        {
            sb.Append(b64, i, Math.Min(64, b64.Length - i)).Append('\n');
        }

        sb.Append("-----END CERTIFICATE-----\n");
        return sb.ToString();
    }

    private static bool LabelEquals(ReadOnlySpan<byte> bytes, string label)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] != label[i])
            {
                return false;
            }
        }

        return true;
    }

    private static readonly SearchValues<byte> Base64Characters = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="u8);

    private static bool IsBase64(byte b) =>
        b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'+' or (byte)'/' or (byte)'=';

    private static string Printable(byte b) => b is >= 0x21 and < 0x7F ? ((char)b).ToString() : "0x" + b.ToString("X2", CultureInfo.InvariantCulture);
}
