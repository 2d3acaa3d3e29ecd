namespace CertPolicy.Messaging;

/// <summary>Why an OpenPGP input could not be read at all (values are API: never renumbered).</summary>
public enum OpenPgpReadErrorKind
{
    /// <summary>The input is empty or holds only white space.</summary>
    Empty = 1,

    /// <summary>Neither ASCII armor nor binary OpenPGP packets: text without armor, or binary junk.</summary>
    NotOpenPgp = 2,

    /// <summary>The armor is damaged: lines that are not base64, text inserted into the body, missing characters, bad headers.</summary>
    ArmorMalformed = 3,

    /// <summary>The armor ends before its <c>-----END PGP ...-----</c> line.</summary>
    ArmorTruncated = 4,

    /// <summary>The armor decodes, but its CRC-24 checksum line does not match the data.</summary>
    ArmorChecksumMismatch = 5,

    /// <summary>The armor is not a public key block (a message, a signature, a secret key).</summary>
    WrongBlockType = 6,

    /// <summary>A packet declares more bytes than the input holds.</summary>
    PacketTruncated = 7,

    /// <summary>A packet header or body cannot be parsed (bad length encoding, unparseable key or signature).</summary>
    PacketMalformed = 8,

    /// <summary>The packet sequence is not a transferable public key (RFC 9580 10.1), e.g. a secret key or a message.</summary>
    UnexpectedPacket = 9,

    /// <summary>A key packet version this library cannot read (neither 3, 4, 5 nor 6).</summary>
    UnsupportedVersion = 10,

    /// <summary>The input exceeds the size or packet-count budget.</summary>
    TooLarge = 11,
}

/// <summary>A precise, one-line description of why an OpenPGP input is unusable.</summary>
/// <param name="Kind">The class of damage.</param>
/// <param name="Message">What is wrong and where (line number or byte offset), in English.</param>
public sealed record OpenPgpReadError(OpenPgpReadErrorKind Kind, string Message);
