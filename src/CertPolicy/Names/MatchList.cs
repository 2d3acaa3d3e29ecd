using System.Collections.Immutable;
using System.Globalization;
using CertPolicy.Policy;

namespace CertPolicy.Names;

/// <summary>The kinds of elements a Postfix certificate match list holds (postfix-tls.md 3.1).</summary>
internal enum MatchElementKind : byte
{
    /// <summary><c>nexthop</c>: the next-hop domain (an IP-literal next hop becomes an IP check).</summary>
    NextHop = 0,

    /// <summary><c>dot-nexthop</c>: any subdomain of the next-hop domain.</summary>
    DotNextHop = 1,

    /// <summary><c>hostname</c>: the MX host name (an IP literal becomes an IP check).</summary>
    HostName = 2,

    /// <summary>A literal host name: exactly that name (wildcard certificates may cover it).</summary>
    Exact = 3,

    /// <summary>A literal <c>.example.net</c>: any subdomain of example.net, never example.net itself.</summary>
    Suffix = 4,

    /// <summary>A literal IPv4 or IPv6 address: OpenSSL 3.0 checks it against iPAddress SANs only.</summary>
    IPAddress = 5,
}

/// <summary>One element of a <see cref="MatchList"/>.</summary>
/// <param name="Kind">Strategy or literal kind.</param>
/// <param name="Name">The literal name as compared (A-label, as written otherwise), or the keyword for strategies.</param>
/// <param name="Address">The address octets for <see cref="MatchElementKind.IPAddress"/>, else empty.</param>
internal readonly record struct MatchElement(MatchElementKind Kind, string Name, ImmutableArray<byte> Address);

/// <summary>
/// A compiled Postfix certificate match list: the value of a <c>match=</c> attribute at
/// <c>verify</c>/<c>secure</c> (elements separated by <c>:</c>), or a level's default
/// (<c>smtp_tls_verify_cert_match = hostname</c>, <c>smtp_tls_secure_cert_match = nexthop, dot-nexthop</c>).
/// Keywords are recognised case-insensitively; U-labels are converted to A-labels once, here;
/// <c>.</c> is ignored as Postfix ignores it. Immutable.
/// </summary>
public sealed class MatchList
{
    private MatchList(ImmutableArray<MatchElement> elements, ImmutableArray<string> ignored)
    {
        Elements = elements;
        Ignored = ignored;
    }

    /// <summary>The elements, in order.</summary>
    internal ImmutableArray<MatchElement> Elements { get; }

    /// <summary>Elements Postfix ignores with a warning (<c>.</c>).</summary>
    public ImmutableArray<string> Ignored { get; }

    /// <summary>Postfix's default for <c>verify</c>: <c>hostname</c>.</summary>
    public static MatchList VerifyDefault { get; } = FromKnownGood("hostname");

    /// <summary>Postfix's default for <c>secure</c>: <c>nexthop</c>, <c>dot-nexthop</c>.</summary>
    public static MatchList SecureDefault { get; } = FromKnownGood("nexthop:dot-nexthop");

    /// <summary>
    /// The default match list of a level: <see cref="VerifyDefault"/> for <c>verify</c>,
    /// <see cref="SecureDefault"/> for <c>secure</c> (and for posttls-finger's DANE fallbacks);
    /// null for levels that check no names.
    /// </summary>
    public static MatchList? DefaultFor(SecurityLevel level) => level switch
    {
        SecurityLevel.Verify => VerifyDefault,
        SecurityLevel.Secure => SecureDefault,
        _ => null,
    };

    /// <summary>
    /// The match list that applies to a parsed policy: its <c>match=</c> elements at
    /// <c>verify</c>/<c>secure</c>, else the level default; null when the level checks no names.
    /// </summary>
    public static MatchList? For(TlsPolicy policy, out string? error)
    {
        ArgumentNullException.ThrowIfNull(policy);
        error = null;
        if (!policy.Level.IsPkix())
        {
            return null;
        }

        if (policy.Match.IsEmpty)
        {
            return DefaultFor(policy.Level);
        }

        return TryCreate(policy.Match, out var list, out error) ? list : null;
    }

    /// <summary>
    /// Parses a <c>match=</c> value in Postfix table syntax (elements separated by <c>:</c>; empty
    /// elements vanish). Never throws on data.
    /// </summary>
    /// <param name="value">E.g. <c>nexthop:dot-nexthop</c> or <c>.example.net:mx1.example.com</c>.</param>
    /// <param name="list">The compiled list.</param>
    /// <param name="error">What is wrong, or null.</param>
    public static bool TryParse(string value, out MatchList? list, out string? error)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            list = null;
            error = "attribute \"match\" has empty value";
            return false;
        }

        return TryCreate([.. value.Split(':', StringSplitOptions.RemoveEmptyEntries)], out list, out error);
    }

    /// <summary>Compiles match elements given one by one (as posttls-finger takes them on its command line).</summary>
    public static bool TryCreate(IReadOnlyList<string> elements, out MatchList? list, out string? error)
    {
        ArgumentNullException.ThrowIfNull(elements);
        var result = ImmutableArray.CreateBuilder<MatchElement>();
        var ignored = ImmutableArray.CreateBuilder<string>();
        list = null;
        foreach (var raw in elements)
        {
            if (raw.Length == 0)
            {
                continue;
            }

            if (raw == ".")
            {
                ignored.Add(raw); // Postfix: ignoring invalid match name: "."
                continue;
            }

            if (raw.Contains('\0', StringComparison.Ordinal))
            {
                error = $"match name \"{raw.Replace("\0", "\\0", StringComparison.Ordinal)}\" contains NUL";
                return false;
            }

            if (Ascii.EqualsIgnoreCase(raw, "nexthop"))
            {
                result.Add(new MatchElement(MatchElementKind.NextHop, "nexthop", []));
            }
            else if (Ascii.EqualsIgnoreCase(raw, "dot-nexthop"))
            {
                result.Add(new MatchElement(MatchElementKind.DotNextHop, "dot-nexthop", []));
            }
            else if (Ascii.EqualsIgnoreCase(raw, "hostname"))
            {
                result.Add(new MatchElement(MatchElementKind.HostName, "hostname", []));
            }
            else if (TryParseIPAddress(raw, out var address))
            {
                result.Add(new MatchElement(MatchElementKind.IPAddress, raw, address));
            }
            else
            {
                if (!TryToALabels(raw, out var name, out error))
                {
                    return false;
                }

                bool suffix = name.Length > 1 && name[0] == '.';
                result.Add(new MatchElement(suffix ? MatchElementKind.Suffix : MatchElementKind.Exact, name, []));
            }
        }

        list = new MatchList(result.ToImmutable(), ignored.ToImmutable());
        error = null;
        return true;
    }

    /// <summary>The list in Postfix table syntax (<c>:</c>-separated).</summary>
    public override string ToString()
    {
        var parts = new string[Elements.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = Elements[i].Name;
        }

        return string.Join(':', parts);
    }

    /// <summary>
    /// Converts a name with U-labels to A-labels (Postfix <c>midna_domain_to_ascii</c>, UTS #46 via
    /// .NET <see cref="IdnMapping"/> after case folding); ASCII names are returned unchanged (Postfix does not
    /// lower-case or otherwise normalise them). A leading dot is kept.
    /// </summary>
    internal static bool TryToALabels(string name, out string ascii, out string? error)
    {
        error = null;
        ascii = name;
        if (System.Text.Ascii.IsValid(name))
        {
            return true;
        }

        bool dot = name.StartsWith('.');
        try
        {
            var idn = new IdnMapping { AllowUnassigned = false, UseStd3AsciiRules = false };
            // UTS #46 maps upper case to lower case before Punycode (Postfix: "BÜCHER.example" ->
            // xn--bcher-kva.example); .NET's IdnMapping does not under InvariantGlobalization (it
            // would encode "Ü" as is, giving xn--bcher-2pa), so case-fold first.
            string folded = name.ToLowerInvariant();
            ascii = (dot ? "." : string.Empty) + idn.GetAscii(dot ? folded[1..] : folded);
            return true;
        }
        catch (ArgumentException ex)
        {
            error = $"match name \"{name}\" is not a valid internationalised domain name: {ex.Message}";
            return false;
        }
    }

    /// <summary>
    /// OpenSSL 3.0 treats a reference name that parses as an IPv4 or IPv6 address as an IP check
    /// (<c>SSL_add1_host</c> → <c>X509_VERIFY_PARAM_set1_ip_asc</c>). The parse is OpenSSL's
    /// <c>a2i_IPADDRESS</c>, ported exactly (<see cref="OpenSslIPAddress"/>): e.g. <c>+192.0.2.1</c> is
    /// an address, <c>[2001:db8::1]</c> and <c>fe80::1%1</c> are host names.
    /// </summary>
    internal static bool TryParseIPAddress(ReadOnlySpan<char> s, out ImmutableArray<byte> address)
    {
        Span<byte> octets = stackalloc byte[16];
        int length = OpenSslIPAddress.Parse(s, octets);
        address = length == 0 ? [] : [.. octets[..length]];
        return length != 0;
    }

    private static MatchList FromKnownGood(string value)
    {
        TryParse(value, out var list, out _);
        return list!;
    }
}
